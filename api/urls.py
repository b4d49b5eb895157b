from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from .views import customers, finance, processes, tokens

app_name = "api"

router = SimpleRouter(trailing_slash=True)
router.register("customers", customers.CustomerViewSet, basename="customer")
router.register("contacts", customers.ContactPersonViewSet, basename="contact")
router.register("relationships", customers.RelationshipViewSet, basename="relationship")
router.register("interactions", customers.InteractionViewSet, basename="interaction")
router.register("segments", customers.SegmentViewSet, basename="segment")
router.register("contracts", finance.ContractViewSet, basename="contract")
router.register("invoices", finance.InvoiceViewSet, basename="invoice")
router.register("payments", finance.PaymentViewSet, basename="payment")
router.register("payouts", finance.PayoutViewSet, basename="payout")
router.register("assets", finance.AssetViewSet, basename="asset")
router.register("process-definitions", processes.ProcessDefinitionViewSet, basename="definition")
router.register("processes", processes.ProcessInstanceViewSet, basename="process")
router.register("tickets", processes.TicketViewSet, basename="ticket")
router.register("tasks", processes.TaskViewSet, basename="task")


class DocsView(SpectacularSwaggerSplitView):
    # Swagger UI's page without its inline <style> (the Content-Security-Policy forbids it).
    template_name = "api/swagger_ui.html"
    title = _("CRM API")


urlpatterns = [
    path("account/api-tokens/", tokens.token_list, name="token_list"),
    path("account/api-tokens/<int:pk>/revoke/", tokens.token_revoke_view, name="token_revoke"),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/v1/docs/",
        login_required(DocsView.as_view(url_name="api:schema")),
        name="docs",
    ),
    path("api/v1/", include(router.urls)),
]
