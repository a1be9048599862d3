"""Web pages for drawings and documents: list, detail with revisions and links, upload, verified
download, release through the workflow panel, and the item page's "Documents" panel.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views import View

from shopfloor.core import access
from shopfloor.core.errors import Conflict
from shopfloor.core.forms import ServiceModelForm
from shopfloor.core.views import ObjectCreateView, ObjectDetailView, ObjectListView, ObjectUpdateView, TenantViewMixin

from . import document_services as services
from . import panels
from .document_api import download_response
from .models import Document, DocumentLink, DocumentRevision, Item


class DocumentForm(ServiceModelForm):
    class Meta:
        model = Document
        fields = ["title", "kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class RevisionUploadForm(forms.Form):
    revision = forms.CharField(max_length=16, help_text="Revision label, e.g. A, B, 02.")
    file = forms.FileField()
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class LinkForm(forms.Form):
    object_type = forms.ChoiceField(
        label="Link to",
        choices=[
            ("catalog.item", "Item"),
            ("catalog.bomversion", "BOM version"),
            ("resources.operation", "Routing operation"),
        ],
    )
    object_id = forms.IntegerField(label="Record id", min_value=1)


def _messages_from(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = "" if field == "__all__" else f"{field.replace('_', ' ').capitalize()}: "
        messages.error(request, f"{label}{' '.join(errors)}")


def _target_label(link: DocumentLink, items: dict[int, Item]) -> tuple[str, str | None]:
    """(what the link points at, its page) for the links table."""
    if link.object_type == "catalog.item" and link.object_id in items:
        item = items[link.object_id]
        return f"Item {item}", reverse("catalog:item-detail", args=[item.pk])
    names = {"catalog.bomversion": "BOM version", "resources.operation": "Operation"}
    return f"{names.get(link.object_type, link.object_type)} #{link.object_id}", None


class DocumentListView(ObjectListView):
    model = Document
    title = "Documents"
    columns = [("number", "Number"), ("title", "Title"), ("kind", "Kind"), ("created_at", "Created")]
    search_fields = ["number", "title", "description"]
    filters = {"kind": "kind"}
    filter_choices = {"kind": list(Document.Kind.choices)}
    create_url_name = "catalog:document-create"
    detail_url_name = "catalog:document-detail"


class DocumentCreateView(ObjectCreateView):
    model = Document
    form_class = DocumentForm
    title = "New document"
    service = services.create_document
    detail_url_name = "catalog:document-detail"
    cancel_url_name = "catalog:document-list"
    success_message = "Document {object.number} created."


class DocumentUpdateView(ObjectUpdateView):
    model = Document
    form_class = DocumentForm
    detail_url_name = "catalog:document-detail"
    success_message = "Document {object.number} saved."

    def perform(self, form: DocumentForm) -> Document:
        return services.update_document(actor=self.request.user, document=self.get_object(), data=form.service_data())


class DocumentDetailView(ObjectDetailView):
    model = Document
    template_name = "catalog/document_detail.html"
    fields = [
        ("number", "Number"),
        ("title", "Title"),
        ("kind", "Kind"),
        ("created_by.display_name", "Created by"),
        ("created_at", "Created"),
        ("description", "Description"),
    ]
    list_url_name = "catalog:document-list"
    edit_url_name = "catalog:document-edit"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        document = self.get_object()
        user = self.request.user
        links = list(DocumentLink.objects.filter(document=document))
        item_ids = [link.object_id for link in links if link.object_type == "catalog.item"]
        items = {item.pk: item for item in Item.objects.filter(pk__in=item_ids)}
        context.update(
            model_name="Document",
            revisions=DocumentRevision.objects.filter(document=document).select_related("uploaded_by"),
            links=[{"link": link, "target": _target_label(link, items)} for link in links],
        )
        if access.has_perm(user, "catalog.add_documentrevision"):
            context["upload_form"] = RevisionUploadForm()
        if access.has_perm(user, "catalog.add_documentlink"):
            context["link_form"] = LinkForm()
        context["can_unlink"] = access.has_perm(user, "catalog.delete_documentlink")
        return context


class RevisionDetailView(ObjectDetailView):
    """One revision: its file facts, the workflow panel (Release) and the timeline."""

    model = DocumentRevision
    template_name = "catalog/revision_detail.html"
    fields = [
        ("document", "Document"),
        ("revision", "Revision"),
        ("original_name", "File"),
        ("size", "Size (bytes)"),
        ("content_type", "Content type"),
        ("sha256", "SHA-256"),
        ("uploaded_by.display_name", "Uploaded by"),
        ("uploaded_at", "Uploaded"),
        ("notes", "Notes"),
    ]

    def get_queryset(self) -> QuerySet:
        return DocumentRevision.objects.select_related("document", "uploaded_by")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        revision = self.get_object()
        context["model_name"] = "Revision"
        context["list_url"] = reverse("catalog:document-detail", args=[revision.document_id])
        return context


class RevisionUploadView(TenantViewMixin, View):
    """Upload a new draft revision (multipart; its size limit is DOCUMENT_MAX_BYTES)."""

    permission_required = "catalog.add_documentrevision"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = get_object_or_404(Document.objects.all(), pk=pk)
        form = RevisionUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                revision = services.upload_revision(
                    actor=request.user,
                    document=document,
                    revision=data["revision"],
                    file=data["file"],
                    notes=data["notes"],
                )
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, f"Revision {revision.revision} uploaded ({revision.size} bytes).")
                return HttpResponseRedirect(reverse("catalog:revision-detail", args=[revision.pk]))
        else:
            _messages_from(request, form)
        return HttpResponseRedirect(reverse("catalog:document-detail", args=[pk]))


class RevisionDownloadView(TenantViewMixin, View):
    """The file, only after its bytes match the recorded SHA-256 (else 409 and an error in the log)."""

    permission_required = "catalog.view_documentrevision"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        revision = get_object_or_404(DocumentRevision.objects.select_related("document"), pk=pk)
        try:
            return download_response(revision)
        except Conflict as exc:
            return render(
                request, "catalog/download_refused.html", {"revision": revision, "reason": exc.message}, status=409
            )


class RevisionDeleteView(TenantViewMixin, View):
    permission_required = "catalog.delete_documentrevision"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        revision = get_object_or_404(DocumentRevision.objects.select_related("document"), pk=pk)
        try:
            services.delete_revision(actor=request.user, revision=revision)
        except Conflict as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(reverse("catalog:revision-detail", args=[pk]))
        messages.success(request, f"Draft revision {revision.revision} deleted.")
        return HttpResponseRedirect(reverse("catalog:document-detail", args=[revision.document_id]))


class LinkAddView(TenantViewMixin, View):
    permission_required = "catalog.add_documentlink"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        document = get_object_or_404(Document.objects.all(), pk=pk)
        form = LinkForm(request.POST)
        if form.is_valid():
            try:
                services.link_document(actor=request.user, document=document, **form.cleaned_data)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                messages.success(request, "Link added.")
        else:
            _messages_from(request, form)
        return HttpResponseRedirect(reverse("catalog:document-detail", args=[pk]))


class LinkDeleteView(TenantViewMixin, View):
    permission_required = "catalog.delete_documentlink"
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int, link_pk: int) -> HttpResponse:
        link = get_object_or_404(DocumentLink.objects.filter(document_id=pk), pk=link_pk)
        services.unlink_document(actor=request.user, link=link)
        messages.success(request, "Link removed.")
        return HttpResponseRedirect(reverse("catalog:document-detail", args=[pk]))


# --- The item page's "Documents" panel --------------------------------------------------------------


def item_documents(request: HttpRequest, item: Item) -> dict[str, Any]:
    """Documents linked to the item, each with its released revision (if any) for download."""
    released = Prefetch(
        "revisions", queryset=DocumentRevision.objects.filter(status="released"), to_attr="released_revisions"
    )
    documents = (
        Document.objects.filter(links__object_type="catalog.item", links__object_id=item.pk)
        .prefetch_related(released)
        .distinct()
        .order_by("number")
    )
    rows = [{"document": d, "released": d.released_revisions[0] if d.released_revisions else None} for d in documents]
    return {"documents": rows, "can_download": access.has_perm(request.user, "catalog.view_documentrevision")}


panels.register_item_panel(
    "documents",
    "Documents",
    "catalog/_item_documents.html",
    item_documents,
    order=60,
    permission="catalog.view_document",
)
