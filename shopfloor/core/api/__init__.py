"""Core's API: shared bases (viewsets, serializers, errors, pagination) and core's resources.

Registration lives in `routes.py`, as in every app's `api.py`.
"""
