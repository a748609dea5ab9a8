# -*- coding: utf-8 -*-
# Copyright: kcertlib developers
# License: MIT OR Apache-2.0
"""A stdout callback for the kcert Ansible tests: the whole run as one JSON document.

ansible-core ships no JSON stdout callback (it lives in the ansible.posix collection, which the
tests do not install), so the tests bring this small one: every task with each host's result,
and the per-host stats, printed when the play ends.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: kcert_json
type: stdout
short_description: the run as one JSON document (kcert tests)
description:
  - At the end of the run, prints one JSON object with C(plays) (each with its C(tasks), each
    task with its C(name) and every host's result) and C(stats) (per host).
"""

import json

from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "kcert_json"

    def __init__(self, *args, **kwargs):
        super(CallbackModule, self).__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"name": play.get_name(), "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]["tasks"].append({"task": {"name": task.get_name()}, "hosts": {}})

    def v2_playbook_on_handler_task_start(self, task):
        # A handler's result is its own entry, not the previous task's.
        self.v2_playbook_on_task_start(task, False)

    def _record(self, result, **flags):
        record = dict(result._result)
        record.update(flags)
        self.plays[-1]["tasks"][-1]["hosts"][result._host.get_name()] = record

    def v2_runner_on_ok(self, result, **kwargs):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False, **kwargs):
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result, **kwargs):
        self._record(result, skipped=True)

    def v2_runner_on_unreachable(self, result, **kwargs):
        self._record(result, unreachable=True)

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        document = {"plays": self.plays, "stats": summary}
        self._display.display(json.dumps(document, cls=AnsibleJSONEncoder, indent=2, sort_keys=True))
