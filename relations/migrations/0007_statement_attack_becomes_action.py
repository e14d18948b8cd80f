"""The seeds' 7 October attack was recorded as a Hamas statement for want of a kind: make the
row an action, in place, so that loading the new seeds (which match an event by kind, title and
date) finds it instead of adding a second "attack" event. Its id, page, participants,
interactions, sources and the statements that respond to it stay; its history records are
copied to the action's history (the event page reads the kind's own history), with one more
record saying what changed. A database without that statement is left as it is."""

import datetime as dt

from django.db import migrations

TITLE = 'Hamas launches its attack on Israel ("Operation Al-Aqsa Flood")'
DATE = dt.date(2023, 10, 7)
ACTION = {
    "means": "ground_assault",
    "means_detail": "Rocket fire on Israel and a ground assault out of the Gaza Strip",
    "place": "Southern Israel",
    "casualties_note": (
        "The seed article gives no casualty figures; the summary's numbers are the widely "
        "reported ones, not the article's."
    ),
}
REASON = "Kind changed from statement to action (migration relations 0007)"


def _columns(model) -> list[str]:
    return [f.column for f in model._meta.concrete_fields]


def statement_to_action(apps, schema_editor):
    Event = apps.get_model("relations", "Event")
    Statement = apps.get_model("relations", "Statement")
    HistoricalStatement = apps.get_model("relations", "HistoricalStatement")
    HistoricalAction = apps.get_model("relations", "HistoricalAction")
    if Event.objects.filter(kind="action", title=TITLE, date=DATE).exists():
        return  # An editor has already recorded the action: leave both for them to judge.
    ids = list(
        Statement.objects.filter(title=TITLE, date=DATE)
        .order_by("id")
        .values_list("pk", flat=True)[:1]
    )
    if not ids:
        return
    pk = ids[0]
    execute = schema_editor.execute
    execute(
        "INSERT INTO relations_action (event_ptr_id, means, means_detail, place, killed, "
        "wounded, captives_taken, casualties_note) VALUES (%s, %s, %s, %s, NULL, NULL, NULL, %s)",
        [pk, ACTION["means"], ACTION["means_detail"], ACTION["place"], ACTION["casualties_note"]],
    )
    execute("DELETE FROM relations_statement WHERE event_ptr_id = %s", [pk])
    execute("UPDATE relations_event SET kind = 'action' WHERE id = %s", [pk])
    # The speaker of a statement is a participant of an action.
    execute(
        "UPDATE relations_participant p SET role = 'participant' "
        "WHERE p.event_id = %s AND p.role = 'speaker' AND NOT EXISTS ("
        "SELECT 1 FROM relations_participant o WHERE o.event_id = p.event_id "
        "AND o.actor_id = p.actor_id AND o.role = 'participant')",
        [pk],
    )

    # History: the statement's records, oldest first, then the conversion itself.
    action_table = HistoricalAction._meta.db_table
    shared = [
        c
        for c in _columns(HistoricalStatement)
        if c in _columns(HistoricalAction) and c != "history_id"
    ]
    extra = ["means", "means_detail", "place", "casualties_note"]
    execute(
        f"INSERT INTO {action_table} ({', '.join(shared + extra)}) "
        f"SELECT {', '.join(shared)}, 'other', '', '', '' "
        f"FROM {HistoricalStatement._meta.db_table} WHERE id = %s "
        "ORDER BY history_date, history_id",
        [pk],
    )
    event_columns = [c for c in _columns(Event) if c in shared and c != "search_vector"]
    history = ["history_date", "history_change_reason", "history_type", "history_user_id"]
    execute(
        f"INSERT INTO {action_table} ({', '.join(event_columns + extra + history)}, event_ptr_id) "
        f"SELECT {', '.join('e.' + c for c in event_columns)}, "
        "a.means, a.means_detail, a.place, a.casualties_note, clock_timestamp(), %s, '~', NULL, e.id "
        "FROM relations_event e JOIN relations_action a ON a.event_ptr_id = e.id "
        "WHERE e.id = %s",
        [REASON, pk],
    )


class Migration(migrations.Migration):
    dependencies = [("relations", "0006_action")]

    operations = [migrations.RunPython(statement_to_action, migrations.RunPython.noop)]
