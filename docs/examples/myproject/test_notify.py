import json
from pathlib import Path

from myproject import notify
from taskmanager.models import AppCommand, Report, Task

TEMPLATES = Path(notify.__file__).parent / "notification_templates"


def test_teams_receives_the_rendered_card(settings, db, monkeypatch):
    sent = []
    monkeypatch.setattr(notify.TeamsTransport, "send", lambda self, message: sent.append(message))
    settings.UWSGI_TASKMANAGER_NOTIFICATION_TEMPLATE_DIRS = [str(TEMPLATES)]
    settings.UWSGI_TASKMANAGER_NOTIFICATION_HANDLERS = {
        "teams": {
            "transport": "myproject.notify.TeamsTransport",
            "templates": "teams",
            "level": "warnings",
            "url": "https://example.invalid/hook",
        },
    }
    command = AppCommand.objects.create(app_name="myapp", name="import_data")
    task = Task.objects.create(name="nightly import", command=command)
    report = Report.objects.create(task=task, invocation_result="errors", n_log_errors=2)

    report.emit_notifications()

    card = json.loads(sent[0].parts["json"])
    assert card["title"] == "nightly import finished with errors"
    assert card["text"] == "2 errors, 0 warnings"
