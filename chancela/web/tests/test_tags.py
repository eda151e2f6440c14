from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from chancela.web.templatetags.web_tags import ago


def test_it_says_just_now_instead_of_zero_minutes():
    assert ago(timezone.now() - timedelta(seconds=20)) == "agora mesmo"
    assert ago(timezone.now() - timedelta(minutes=5)) == "há 5\xa0minutos"
