"""A fresh database on the test cluster (scripts/cluster.sh; PGHOST, PGPORT and PGUSER from
scripts/common.sh) with the extension and the sample notes, for each test module."""

import os
import subprocess
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "clinical_ner_client"


def psql(database: str, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, *args],
                          capture_output=True, text=True, check=True, **kwargs)


@pytest.fixture(scope="module")
def database() -> str:
    psql("postgres", "-c", f"DROP DATABASE IF EXISTS {DATABASE}", "-c", f"CREATE DATABASE {DATABASE}")
    psql(DATABASE, "-c", "CREATE EXTENSION clinical_ner", "-f", str(ROOT / "sql/examples/sample_notes.sql"),
         "-c", "CREATE TABLE notes AS SELECT id, note FROM sample_notes")
    yield DATABASE
    psql("postgres", "-c", f"DROP DATABASE {DATABASE} WITH (FORCE)")


@pytest.fixture
def connect(database):
    """psycopg connections to the test database, as a driver opens them by default (a transaction
    per statement) unless autocommit is asked for."""
    opened = []

    def open_connection(autocommit: bool = False) -> psycopg.Connection:
        connection = psycopg.connect(dbname=database, autocommit=autocommit)
        opened.append(connection)
        return connection

    yield open_connection
    for connection in opened:
        connection.close()


def pytest_configure(config):
    for name in ("PGHOST", "PGPORT"):
        if name not in os.environ:
            raise pytest.UsageError(f"{name} is not set: run the client tests through scripts/test.sh")
