"""The access-denied and not-found pages explain themselves in the portal's layout."""

from django.urls import reverse


def test_forbidden_page_explains(client_for, officer):
    response = client_for(officer).get(reverse("returns:completeness"))
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this page" in html
    assert '<html lang="en-GB">' in html


def test_not_found_page_explains(client_for, officer):
    response = client_for(officer).get("/kpis/NO-SUCH-KPI/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()
