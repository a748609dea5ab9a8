# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0
"""What the kcert.kubernetes modules share: importing kcert, relative times, the options several
modules take (argument spec and kcert arguments; their documentation is in doc_fragments/),
result keys, the result of a renewal (kcert_renew and kcert_install return the same), turning
kcert errors into a failed task, and writing the files in transit."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import binascii
import os
import re
import stat
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


def signing_options():
    """The argument spec of the options documented by the C(kcert.kubernetes.kcert.signing)
    fragment (C(days), C(backdate))."""
    return dict(
        days=dict(type="int", default=365),
        backdate=dict(type="str", default="-1h"),
    )


def signing_arguments(module):
    """Those options as keyword arguments of C(kcert.renew) and C(kcert.sign_requests)."""
    return dict(days=module.params["days"], backdate=backdate_option(module, "backdate"))


def transaction_options():
    """The argument spec of the options documented by the C(kcert.kubernetes.kcert.transaction)
    fragment (C(backup_dir), C(user_kubeconfigs))."""
    return dict(
        backup_dir=dict(type="path"),
        user_kubeconfigs=dict(type="bool", default=True),
    )


def transaction_arguments(module):
    """Those options, and check mode as C(dry_run), as keyword arguments of C(kcert.renew) and
    C(kcert.install_signed)."""
    return dict(
        dry_run=module.check_mode,
        backup_dir=module.params["backup_dir"],
        user_kubeconfigs=module.params["user_kubeconfigs"],
    )


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


def _renewed_item(renewed):
    return dict(
        name=renewed.name,
        paths=renewed.paths,
        old_serial=renewed.old_serial,
        new_serial=renewed.new_serial,
        old_not_before=rfc3339(renewed.old_not_before),
        old_not_after=rfc3339(renewed.old_not_after),
        new_not_before=rfc3339(renewed.new_not_before),
        new_not_after=rfc3339(renewed.new_not_after),
        key_rotated=renewed.key_rotated,
    )


def _state_text(item, when):
    return "notBefore: %s\nnotAfter:  %s\nserial:    %s\n" % (
        item[when + "_not_before"],
        item[when + "_not_after"],
        item[when + "_serial"],
    )


def _diff_of(item):
    return dict(
        before_header="%s (before)" % item["name"],
        after_header="%s (after)" % item["name"],
        before=_state_text(item, "old"),
        after=_state_text(item, "new"),
    )


def renewal_result(module, report):
    """The task result of a C(kcert.RenewalReport) (from C(renew) or C(install_signed)):
    C(renewed), C(not_renewed) (each one also an Ansible warning), C(restart), the backups when
    something was written, and the diff in diff mode."""
    renewed = [_renewed_item(r) for r in report.renewed]
    # Never a key named `skipped`: Ansible would read it as "this task was skipped".
    not_renewed = [dict(name=s.name, reason=s.reason) for s in report.skipped]
    for item in not_renewed:
        module.warn("%s was not renewed: %s" % (item["name"], item["reason"]))
    for warning in report.warnings:
        module.warn(warning)

    result = dict(
        changed=report.changed or (module.check_mode and bool(renewed)),
        renewed=renewed,
        not_renewed=not_renewed,
        restart=report.restart,
    )
    if report.manifest:
        result.update(
            backup_dir=os.path.dirname(report.manifest),
            manifest=report.manifest,
            backups=report.backups,
        )
    if module._diff and renewed:
        result["diff"] = [_diff_of(item) for item in renewed]
    return result


def read_text(module, path, what):
    """The text of C(path) on the managed node; fails the task naming C(what) when unreadable."""
    try:
        with open(path, "r") as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError) as err:
        module.fail_json(msg="%s %s: cannot read: %s" % (what, path, err))


def write_text(module, path, text, same):
    """Writes C(text) to C(path), mode 0600 (as the kcert command writes these files), atomically,
    unless C(same(old_text)) says the file already holds the same content; writes nothing in
    check mode. Returns whether the file changed (or, in check mode, would).

    The directory may lie in a tree that is not trusted (a node's root): the write is refused
    when the directory resolves elsewhere or C(path) is a symbolic link, and then goes through a
    descriptor of the checked directory, never by name."""
    path, name, dir_fd = _open_directory_of(module, path)
    try:
        old = _read_at(dir_fd, name)
        if old is not None and same(old):
            return False
        if not module.check_mode:
            _replace_at(module, dir_fd, path, text)
        return True
    finally:
        os.close(dir_fd)


def _read_at(dir_fd, name):
    """The text of regular file C(name) in C(dir_fd), or None when it is missing, not a regular
    file or unreadable (then it is replaced)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(os.dup(fd), "r") as handle:
            return handle.read()
    except (IOError, OSError, UnicodeDecodeError):
        return None
    finally:
        os.close(fd)


def _replace_at(module, dir_fd, path, text):
    """Writes C(text) to a fresh 0600 file beside C(path) in C(dir_fd) (C(O_EXCL), no link
    followed), then renames it over C(path): readers see the old file or the new one, never a
    partial one."""
    name = os.path.basename(path)
    temp = ".%s.kcert-%d-%s.tmp" % (name, os.getpid(), binascii.hexlify(os.urandom(6)).decode())
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
        try:
            os.fchmod(fd, 0o600)  # exact, whatever the umask
            with os.fdopen(os.dup(fd), "w") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        finally:
            os.close(fd)
        os.rename(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except (IOError, OSError) as err:
        try:
            os.unlink(temp, dir_fd=dir_fd)
        except OSError:
            pass
        module.fail_json(msg="%s: cannot write: %s" % (path, err))


def remove_file(module, path):
    """Removes C(path) when it exists (not in check mode), refusing a directory reached through a
    symbolic link as C(write_text) does. Returns whether it existed."""
    if not os.path.lexists(path):
        return False
    path, name, dir_fd = _open_directory_of(module, path)
    try:
        try:
            os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            return False
        if not module.check_mode:
            try:
                os.unlink(name, dir_fd=dir_fd)
            except OSError as err:
                module.fail_json(msg="%s: cannot remove: %s" % (path, err))
        return True
    finally:
        os.close(dir_fd)


def _open_directory_of(module, path):
    """C((path, name, dir_fd)): C(path) made absolute, its last component and a descriptor of its
    directory. Fails the task when the directory is missing or resolves elsewhere (a symbolic
    link on the way) or C(path) itself is a symbolic link."""
    path = os.path.abspath(path)
    directory, name = os.path.split(path)
    if not os.path.isdir(directory):
        module.fail_json(msg="%s: the directory %s does not exist" % (path, directory))
    if os.path.realpath(directory) != directory or os.path.islink(path):
        module.fail_json(
            msg="%s: refusing to write through a symbolic link (%s resolves to %s)"
            % (path, directory, os.path.realpath(directory)))
    try:
        return path, name, os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as err:
        module.fail_json(msg="%s: cannot open the directory %s: %s" % (path, directory, err))
