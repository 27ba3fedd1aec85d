"""What the apps built on accounts add to `GET /users/me` `permissions` (dependency inversion).

accounts sits below tickets and reports (docs/architecture.md, "Dependency direction"), yet the
SPA asks one place what the caller may do across the product. Each higher app registers, from its
AppConfig.ready(), a provider returning its own flags, computed by the same checks its endpoints
run (tickets: the fields a new ticket may set; reports: whether the dashboard is readable).
"""

from collections.abc import Callable

# name → f(user) → {flag: value}; keyed by name, so a second registration replaces the first.
_me_permissions: dict[str, Callable[[object], dict]] = {}


def register_me_permissions(name: str, provider: Callable[[object], dict]) -> None:
    """`provider(user)` returns the flags it contributes to MePermissions."""
    _me_permissions[name] = provider


def me_permissions(user) -> dict:
    """MePermissions of `user`: accounts' own flag, then every registered app's flags."""
    flags: dict = {"admin_site": user.is_active and user.is_staff}
    for provider in _me_permissions.values():
        flags.update(provider(user))
    return flags
