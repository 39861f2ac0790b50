"""A case scope (hotline.web.access) rewritten so that each of its parts reads its own index.

An office's scope is "in its queue OR held by it before it handed the case over": two
conditions ORed. A planner given the OR as written reads every case and tests each against a
hashed list of the hand-overs, once per statement. Split into disjoint parts, the queue part
is one range of an index (`ix_cases_office_figures`, read without the table) and the
handed-over part a few primary-key probes, so the cost follows the office's cases, not every
office's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    any_,
    exists,
    false,
    func,
    not_,
    or_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BinaryExpression, BooleanClauseList, True_
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.sql.visitors import InternalTraversal, replacement_traverse

from models import Case


class ArrayOf(ColumnElement[Any]):
    """PostgreSQL's ARRAY(subquery): the subquery runs once, before the statement."""

    # A cache key from the subquery: every statement with an office's scope uses this, and
    # without one SQLAlchemy compiles such statements afresh on each request.
    inherit_cache = True
    _traverse_internals = [("query", InternalTraversal.dp_clauseelement)]

    def __init__(self, query: ScalarSelect[Any]) -> None:
        self.query = query


@compiles(ArrayOf)
def _array_of(element: ArrayOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"ARRAY{compiler.process(element.query, **kw)}"


def probed(session: Session, scope: ColumnElement[bool]) -> ColumnElement[bool]:
    """The scope with each `column IN (subquery)` as `column = ANY(ARRAY(subquery))` on
    PostgreSQL: the planner then probes the column's index with the subquery's few values
    (a bitmap OR beside the other parts) instead of filtering every row through a hash."""
    if session.get_bind().dialect.name != "postgresql":
        return scope  # SQLite already probes the key for each value of an IN subquery

    def swap(element: Any, **_kw: Any) -> Any:
        if (isinstance(element, BinaryExpression) and element.operator is operators.in_op
                and isinstance(element.right, ScalarSelect)):
            return element.left == any_(ArrayOf(element.right))
        return None

    return replacement_traverse(scope, {}, swap)


def parts(session: Session, scope: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The scope's ORed conditions (probed), or the scope alone if it is not an OR."""
    scope = probed(session, scope)
    if isinstance(scope, BooleanClauseList) and scope.operator is operators.or_:
        return list(scope.clauses)
    return [scope]


def branches(session: Session, scope: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """The scope as disjoint conditions, one per ORed part (a later part leaves out the cases
    an earlier one holds), to be read separately and added up."""
    each = parts(session, scope)
    # coalesce: a NULL organisation must count as "not that office", not as unknown.
    return [part if i == 0 else and_(part, not_(func.coalesce(or_(*each[:i]), false())))
            for i, part in enumerate(each)]


def in_scope(session: Session, column: Any, scope: ColumnElement[bool]) -> ColumnElement[bool]:
    """`column` (a case id) names a case in scope: one EXISTS per part of the scope, which
    PostgreSQL hashes from an index-only read of that part (the office's cases, the few it
    held before) and SQLite answers by probing the case's key. Not for a statement over cases
    itself: its EXISTS would not be correlated to the outer case and would hold for every row
    as soon as any case is in scope (use the scope directly there)."""
    if getattr(column, "table", None) is Case.__table__:
        raise ValueError("in_scope is for a column naming a case; over cases use the scope")
    if isinstance(scope, True_):
        return column.is_not(None)
    return or_(*(exists().where(Case.id == column, part) for part in parts(session, scope)))
