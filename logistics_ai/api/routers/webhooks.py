"""/webhooks: admins subscribe URLs to events, rotate secrets, read the log, redeliver."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query, Response, status

from logistics_ai.api.deps import ActorDep, SessionDep, api_router
from logistics_ai.api.routers.common import ERRORS
from logistics_ai.api.schemas.webhooks import (
    WebhookCreatedOut,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookOut,
)
from logistics_ai.services import webhooks
from logistics_ai.services.webhooks import WebhookCreate

router = api_router(prefix="/webhooks", tags=["webhooks"], responses=ERRORS)
ItemId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _created(created: webhooks.CreatedWebhook) -> WebhookCreatedOut:
    out = WebhookOut.model_validate(created.endpoint)
    return WebhookCreatedOut(**out.model_dump(), secret=created.secret)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe a URL to events (admin); the signing secret is shown once",
)
def create(body: WebhookCreate, session: SessionDep, actor: ActorDep) -> WebhookCreatedOut:
    return _created(webhooks.create_endpoint(session, actor, body))


@router.get("", summary="List webhook subscriptions (admin)")
def list_(session: SessionDep, actor: ActorDep) -> list[WebhookOut]:
    return [WebhookOut.model_validate(e) for e in webhooks.list_endpoints(session, actor)]


@router.get("/{webhook_id}", summary="One webhook subscription (admin)")
def get(webhook_id: ItemId, session: SessionDep, actor: ActorDep) -> WebhookOut:
    return WebhookOut.model_validate(webhooks.get_endpoint(session, actor, webhook_id))


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete a webhook subscription (admin)",
)
def delete(webhook_id: ItemId, session: SessionDep, actor: ActorDep) -> Response:
    webhooks.delete_endpoint(session, actor, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{webhook_id}/rotate-secret",
    summary="New signing secret (shown once); the old one stays valid during the overlap",
)
def rotate(webhook_id: ItemId, session: SessionDep, actor: ActorDep) -> WebhookCreatedOut:
    return _created(webhooks.rotate_secret(session, actor, webhook_id))


@router.post("/{webhook_id}/enable", summary="Re-enable an automatically disabled webhook")
def enable(webhook_id: ItemId, session: SessionDep, actor: ActorDep) -> WebhookOut:
    return WebhookOut.model_validate(webhooks.enable(session, actor, webhook_id))


@router.get("/{webhook_id}/deliveries", summary="Delivery log of a webhook, newest first")
def deliveries(
    webhook_id: ItemId,
    session: SessionDep,
    actor: ActorDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> WebhookDeliveryPage:
    result = webhooks.deliveries(session, actor, webhook_id, page=page, page_size=page_size)
    return WebhookDeliveryPage.model_validate(result)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send an earlier event again (same event id)",
)
def redeliver(delivery_id: ItemId, session: SessionDep, actor: ActorDep) -> WebhookDeliveryOut:
    return WebhookDeliveryOut.model_validate(webhooks.redeliver(session, actor, delivery_id))
