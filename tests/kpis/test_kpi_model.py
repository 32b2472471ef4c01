"""Kpi's own checks."""

import pytest
from django.core.exceptions import ValidationError


def test_service_outside_directorate_rejected(make_kpi, highways, people):
    kpi = make_kpi(directorate=people, service=highways)
    with pytest.raises(ValidationError) as raised:
        kpi.full_clean()
    assert "service" in raised.value.message_dict
    assert "Highways is in Place" in raised.value.message_dict["service"][0]


def test_service_inside_directorate_accepted(make_kpi, highways):
    make_kpi(directorate=highways.directorate, service=highways).full_clean()
