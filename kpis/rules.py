"""Object-level permissions on KPIs and their returns, as django-rules predicates.

Check them with `user.has_perm("kpis.edit_return", kpi)`. Reading a KPI's
published figures is open to every signed-in user; returns are not.
"""

import rules

from golden_thread.models import Profile


def role_of(user) -> str | None:
    profile = getattr(user, "profile", None) if user.is_authenticated else None
    return profile.role if profile else None


@rules.predicate
def is_spp(user) -> bool:
    return user.is_superuser or role_of(user) in (Profile.Role.SPP, Profile.Role.ADMIN)


@rules.predicate
def owns_kpi(user, kpi) -> bool:
    """Check that the user owns the KPI or is a delegate. Reads `kpi.delegates`, so prefetch it for lists."""
    if kpi is None or not user.is_authenticated:
        return False
    if kpi.owner_id == user.pk:
        return True
    return any(delegate.pk == user.pk for delegate in kpi.delegates.all())


@rules.predicate
def manages_kpi_service(user, kpi) -> bool:
    if kpi is None or role_of(user) != Profile.Role.SERVICE_MANAGER:
        return False
    return kpi.service_id is not None and user.profile.service_id == kpi.service_id


@rules.predicate
def directs_kpi_directorate(user, kpi) -> bool:
    if kpi is None or role_of(user) != Profile.Role.DIRECTOR:
        return False
    return kpi.directorate_id is not None and user.profile.directorate_id == kpi.directorate_id


rules.add_perm("kpis.view_return", owns_kpi | manages_kpi_service | directs_kpi_directorate | is_spp)
rules.add_perm("kpis.edit_return", owns_kpi | is_spp)
rules.add_perm("kpis.sign_off_return", manages_kpi_service | is_spp)
rules.add_perm("kpis.lock_period", is_spp)
rules.add_perm("kpis.unlock_value", is_spp)
rules.add_perm("kpis.view_completeness", is_spp)
