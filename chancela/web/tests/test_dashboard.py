"""The home dashboard: requests by age per unit, signed this week, what needs action, the
health of each configuration and the sandbox warning."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chancela.esign.models import SignatureConfig
from chancela.signing.models import RequestStatus, SignatureRequest
from chancela.signing.selectors import (
    config_health_for,
    dashboard_units_for,
    requests_needing_action_for,
    week_start,
)
from chancela.testing.factories import (
    SEND_DOCUMENTS,
    make_config,
    make_document_type,
    make_signature_request,
    make_unit,
    make_user,
)

pytestmark = pytest.mark.django_db

# A Wednesday noon (São Paulo): the week started on Monday the 23rd.
NOW = timezone.make_aware(datetime(2026, 11, 25, 12, 0))


def aged(request: SignatureRequest, *, days: float, status: str | None = None, changed_days=None):
    changes = {"created_at": NOW - timedelta(days=days)}
    if status is not None:
        changes["status"] = status
        changes["status_changed_at"] = NOW - timedelta(days=changed_days or 0)
    SignatureRequest.objects.filter(pk=request.pk).update(**changes)
    return request


@pytest.fixture
def school():
    unit, other, foreign = make_unit(name="A Centro"), make_unit(name="B Norte"), make_unit()
    document_type = make_document_type(make_config(unit))
    other_type = make_document_type(make_config(other, environment="production"))
    foreign_type = make_document_type(make_config(foreign))
    user = make_user(units=[unit, other], perms=[SEND_DOCUMENTS])
    return unit, document_type, other, other_type, foreign, foreign_type, user


def new(unit, document_type):
    return make_signature_request(unit, document_type)


def test_it_counts_pending_requests_by_age_per_unit(school):
    unit, document_type, other, other_type, foreign, foreign_type, user = school
    aged(new(unit, document_type), days=0.2)
    aged(new(unit, document_type), days=2, status=RequestStatus.AWAITING_SIGNATURES)
    aged(new(unit, document_type), days=5, status=RequestStatus.SENDING)
    aged(new(unit, document_type), days=30, status=RequestStatus.AWAITING_SIGNATURES)
    aged(new(unit, document_type), days=9, status=RequestStatus.SIGNED, changed_days=1)
    aged(new(foreign, foreign_type), days=2)
    rows = {row.unit: row for row in dashboard_units_for(user=user, now=NOW)}
    assert set(rows) == {unit, other}
    assert [count for _label, count in rows[unit].pending] == [1, 1, 1, 1]
    assert rows[unit].pending_total == 4
    assert rows[other].pending_total == 0


def test_it_counts_signed_this_week_from_monday(school):
    unit, document_type, *_rest, user = school
    monday = week_start(NOW)
    assert monday.weekday() == 0 and timezone.localtime(monday).hour == 0
    signed_today = aged(new(unit, document_type), days=3, status=RequestStatus.SIGNED)
    last_week = aged(new(unit, document_type), days=9, status=RequestStatus.SIGNED)
    SignatureRequest.objects.filter(pk=last_week.pk).update(
        status_changed_at=monday - timedelta(minutes=1)
    )
    assert signed_today
    rows = dashboard_units_for(user=user, now=NOW)
    assert rows[0].unit == unit and rows[0].signed_this_week == 1


def test_it_lists_the_failures_that_need_action(school):
    unit, document_type, other, other_type, foreign, foreign_type, user = school
    failed = aged(new(unit, document_type), days=1, status=RequestStatus.FAILED, changed_days=20)
    refused = aged(new(other, other_type), days=3, status=RequestStatus.REFUSED, changed_days=2)
    aged(new(unit, document_type), days=40, status=RequestStatus.EXPIRED, changed_days=30)
    aged(new(foreign, foreign_type), days=1, status=RequestStatus.FAILED)
    listed = list(requests_needing_action_for(user=user, now=NOW))
    assert listed == [refused, failed]
    rows = {row.unit: row for row in dashboard_units_for(user=user, now=NOW)}
    assert rows[unit].failed == 1 and rows[other].refused_or_expired_week == 1


def test_it_reports_each_configurations_health(school):
    unit, document_type, other, other_type, *_rest, user = school
    config = document_type.config
    aged(new(unit, document_type), days=2, status=RequestStatus.AWAITING_SIGNATURES)
    SignatureConfig.objects.filter(pk=config.pk).update(
        last_successful_call_at=NOW - timedelta(days=3)
    )
    SignatureConfig.objects.filter(pk=other_type.config.pk).update(
        last_successful_call_at=NOW - timedelta(minutes=5), last_callback_at=NOW
    )
    health = {item.config: item for item in config_health_for(user=user, now=NOW)}
    sandbox, production = health[config], health[other_type.config]
    assert sandbox.in_flight == 1 and sandbox.stale_calls and sandbox.no_callback
    assert production.in_flight == 0 and not production.stale_calls
    assert not production.no_callback


def test_it_renders_the_dashboard_with_the_sandbox_warning(client, school):
    unit, document_type, other, other_type, foreign, foreign_type, user = school
    aged(new(unit, document_type), days=0, status=RequestStatus.FAILED)
    SignatureRequest.objects.filter(unit=unit).update(
        last_error="A Clicksign recusou o token.", status_changed_at=timezone.now()
    )
    make_signature_request(foreign, foreign_type, title="Alheio do painel")
    client.force_login(user)
    html = client.get(reverse("web:dashboard")).content.decode()
    assert "Documentos por unidade" in html and "A Centro" in html
    assert "Precisam de ação" in html and "A Clicksign recusou o token." in html
    assert "Sandbox — sem validade jurídica" in html
    assert document_type.config.name in html
    assert "Alheio do painel" not in html and foreign.name not in html


def test_it_shows_only_health_to_a_user_without_the_send_permission(client, school):
    unit, document_type, *_rest = school
    client.force_login(make_user(units=[unit]))
    html = client.get(reverse("web:dashboard")).content.decode()
    assert "Saúde das configurações" in html
    assert "Documentos por unidade" not in html


def test_it_shows_the_background_processes_from_the_readiness_source(client, school):
    from chancela.core.models import Heartbeat

    *_, user = school
    client.force_login(user)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "Chancela com problema" in page
    assert 'Worker (processa envios e retornos): <span class="health-bad">nunca visto' in page
    now = timezone.now()
    for kind in (Heartbeat.Kind.WORKER, Heartbeat.Kind.SCHEDULER):
        Heartbeat.objects.create(kind=kind, instance="h:1", started_at=now, seen_at=now)
    page = client.get(reverse("web:dashboard")).content.decode()
    assert "Chancela pronto para trabalhar" in page
    assert "0 aguardando" in page
