# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0
"""What the kcert.kubernetes modules share: importing kcert, relative times, result keys and
turning kcert errors into a failed task."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import traceback

from ansible.module_utils.basic import missing_required_lib

try:
    import kcert  # noqa: F401 (re-exported for the modules)
except ImportError:
    HAS_KCERT = False
    KCERT_IMPORT_ERROR = traceback.format_exc()
    kcert = None
else:
    HAS_KCERT = True
    KCERT_IMPORT_ERROR = None

# Seconds per unit: community.crypto's w, d, h, m, s (either case), and kcert's y (365 days).
_UNITS = {"y": 365 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_RELATIVE = re.compile(r"^([+-]?)((?:[0-9]+[ywdhmsYWDHMS])+|[0-9]+)$")
_PART = re.compile(r"([0-9]+)([ywdhmsYWDHMS])")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def require_kcert(module):
    """Fails the task with Ansible's usual message when the kcert Python module is missing."""
    if not HAS_KCERT:
        module.fail_json(msg=missing_required_lib("kcert"), exception=KCERT_IMPORT_ERROR)


def relative_seconds(text):
    """A relative time in seconds, signed: community.crypto's form (C(+30d), C(-1d),
    C(32w1d2h), a bare number of seconds) or kcert's (C(30d), C(10y)).

    Raises ValueError naming the text when it is neither.
    """
    match = _RELATIVE.match(text.strip()) if text is not None else None
    if match is None:
        raise ValueError(
            'invalid relative time "%s": expected [+-] then numbers with units w, d, h, m, s '
            "(or y), e.g. +30d, -1d, 32w1d2h" % (text,)
        )
    sign, body = match.groups()
    if body.isdigit():
        seconds = int(body)
    else:
        seconds = sum(int(n) * _UNITS[unit.lower()] for n, unit in _PART.findall(body))
    return -seconds if sign == "-" else seconds


def window_option(module, name):
    """A window ahead of now (C(30d), C(+30d)) as kcert's duration text, or None when unset.
    Fails the task for malformed or past (C(-1d)) values."""
    text = module.params[name]
    if text is None:
        return None
    try:
        seconds = relative_seconds(text)
    except ValueError as err:
        module.fail_json(msg="%s: %s" % (name, err))
    if seconds < 0:
        module.fail_json(
            msg='%s: "%s" lies in the past; give a window ahead of now, e.g. +30d' % (name, text)
        )
    return "%ds" % seconds


def backdate_option(module, name):
    """The new notBefore relative to now: C(ca), or how far before now as C(1h) (kcert's form)
    or C(-1h) (community.crypto's). Returns kcert's backdate text; fails the task for a time in
    the future (C(+1h))."""
    text = module.params[name]
    if text.strip().lower() == "ca":
        return "ca"
    try:
        seconds = relative_seconds(text)
    except ValueError as err:
        module.fail_json(msg="%s: %s (or ca)" % (name, err))
    if text.strip().startswith("+") and seconds > 0:
        module.fail_json(
            msg='%s: "%s" puts notBefore in the future; give how far before now, e.g. -1h or 1h'
            % (name, text)
        )
    return "%ds" % abs(seconds)


def snake_keys(value):
    """The same value with every dict key in snake_case (C(expirationDate) -> C(expiration_date))."""
    if isinstance(value, dict):
        return dict((_CAMEL.sub(r"_\1", key).lower(), snake_keys(item)) for key, item in value.items())
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def rfc3339(moment):
    """A UTC datetime as RFC 3339 (C(2026-11-28T14:22:31Z)); None stays None."""
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def fail_on_kcert_error(module, call, *args, **kwargs):
    """Runs C(call); a kcert error fails the task with kcert's message, code and kind and no
    traceback (the message says it all)."""
    failure = None
    try:
        return call(*args, **kwargs)
    except kcert.KcertError as err:
        failure = err
    # Outside the except block, so Ansible attaches no traceback.
    module.fail_json(msg=str(failure), error_code=failure.code, error_kind=failure.kind)
