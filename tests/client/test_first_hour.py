"""An analyst's first hour, from psycopg against the real cluster (issue 20): what a driver sends and
does by default must reach the right function and give a message that says what to do."""

import psycopg
import pytest

NOTES = ["Took aspirin.", None, "Denies fever."]


def test_a_python_list_reaches_the_set_based_function(connect):
    # psycopg sends a list of str as an array whose element type the server infers; under the batch
    # names nothing but text[] fits, so the list is never read as one note.
    with connect() as connection:
        (results,) = connection.execute("SELECT extract_entities_json_batch(%s)", [NOTES]).fetchone()
        rows = connection.execute(
            "SELECT note_index, mention, assertion FROM extract_entities_batch(%s) ORDER BY note_index",
            [NOTES]).fetchall()
    assert len(results) == 3
    assert [e["mention"] for e in results[0]] == ["aspirin"]
    assert results[1] is None
    assert [(e["mention"], e["assertion"]) for e in results[2]] == [("fever", "absent")]
    assert rows == [(1, "aspirin", "present"), (3, "fever", "absent")]


def test_the_old_set_based_names_are_gone(connect):
    with connect() as connection:
        with pytest.raises(psycopg.errors.UndefinedFunction):
            connection.execute("SELECT extract_entities_json(%s::text[])", [NOTES])


def test_call_in_a_drivers_transaction_says_to_use_autocommit(connect):
    connection = connect()  # psycopg's default: every statement inside a transaction
    connection.execute("ALTER TABLE notes ADD COLUMN IF NOT EXISTS entities jsonb")
    with pytest.raises(psycopg.errors.InvalidTransactionTermination) as raised:
        connection.execute("CALL populate_entities('notes', 'note', 'entities')")
    assert "inside a transaction block" in raised.value.diag.message_primary
    assert "autocommit=True" in raised.value.diag.message_hint
    connection.rollback()
    # Nothing was recorded or written.
    assert connection.execute("SELECT count(*) FROM clinical_ner_populate_runs").fetchone() == (0,)


def test_call_with_autocommit_fills_and_reports_progress_from_the_start(connect):
    connection = connect(autocommit=True)
    notices = []
    connection.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary))
    connection.execute("ALTER TABLE notes ADD COLUMN IF NOT EXISTS entities jsonb")
    connection.execute("UPDATE notes SET entities = NULL")
    (total,) = connection.execute("SELECT count(*) FROM notes WHERE note IS NOT NULL").fetchone()
    connection.execute("CALL populate_entities('notes', 'note', 'entities', batch_size => 4)")
    # Before any batch ran: how many rows there are to fill and where to watch.
    assert notices[0].startswith("populate_entities: run ")
    assert f"{total} rows to fill" in notices[0]
    # After the first batch, at once rather than after 5 s.
    assert notices[1].startswith("populate_entities: 4 rows done")
    assert connection.execute("SELECT count(*) FROM notes WHERE entities IS NULL").fetchone() == (0,)
    state = connection.execute(
        "SELECT state, rows_done FROM clinical_ner_populate_progress ORDER BY run_id DESC LIMIT 1").fetchone()
    assert state == ("finished", total)


def test_a_text_target_column_is_named_with_its_type(connect):
    connection = connect(autocommit=True)
    connection.execute("ALTER TABLE notes ADD COLUMN IF NOT EXISTS entities_text text")
    with pytest.raises(psycopg.errors.RaiseException) as raised:
        connection.execute("CALL populate_entities('notes', 'note', 'entities_text')")
    assert raised.value.diag.message_primary == "column entities_text of notes is text, not jsonb"
    assert "ALTER COLUMN entities_text TYPE jsonb" in raised.value.diag.message_hint


def test_allergies_written_as_sentences_are_not_exposures(connect):
    note = "Allergic to penicillin. Sulfa allergy. Takes aspirin daily."
    with connect() as connection:
        rows = dict(connection.execute(
            "SELECT mention, assertion FROM extract_entities(%s) WHERE entity_type = 'medication'", [note]).fetchall())
        (present,) = connection.execute("SELECT extract_medications(%s, true)", [note]).fetchone()
    assert rows == {"penicillin": "allergy", "Sulfa": "allergy", "aspirin": "present"}
    assert present == ["aspirin"]
