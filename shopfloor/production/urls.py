from django.urls import path

from . import views

app_name = "production"

urlpatterns = [
    path("work-orders/", views.WorkOrderListView.as_view(), name="workorder-list"),
    path("work-orders/new/", views.WorkOrderCreateView.as_view(), name="workorder-create"),
    path("work-orders/from-sales-order/", views.FromSalesOrderView.as_view(), name="workorder-from-sales"),
    path("work-orders/<int:pk>/", views.WorkOrderDetailView.as_view(), name="workorder-detail"),
    path("work-orders/<int:pk>/edit/", views.WorkOrderUpdateView.as_view(), name="workorder-edit"),
    path("work-orders/<int:pk>/output/", views.OutputReceiveView.as_view(), name="workorder-output"),
    path("operations/<int:pk>/start/", views.OperationStartView.as_view(), name="operation-start"),
    path("operations/<int:pk>/pause/", views.OperationPauseView.as_view(), name="operation-pause"),
    path("operations/<int:pk>/resume/", views.OperationResumeView.as_view(), name="operation-resume"),
    path("operations/<int:pk>/complete/", views.OperationCompleteView.as_view(), name="operation-complete"),
    path("materials/<int:pk>/issue/", views.MaterialIssueView.as_view(), name="material-issue"),
    path("materials/<int:pk>/return/", views.MaterialReturnView.as_view(), name="material-return"),
    path("materials/<int:pk>/backflush/", views.MaterialBackflushView.as_view(), name="material-backflush"),
    path("genealogy/", views.GenealogyView.as_view(), name="genealogy"),
]
