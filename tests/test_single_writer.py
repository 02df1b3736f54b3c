"""One writer of state: only the workflow engine assigns a post's state (STYLE.md, habit 1).

The test reads the source of the ``approval`` package with ``ast`` and lists every place that writes an attribute
named ``state`` (``x.state = ...``, ``x.state += ...``, ``setattr(x, "state", ...)``), builds a ``Post`` with a
``state``, or writes the column through SQL (a Core ``.values(state=...)``, ``bulk_update_mappings``, an ORM bulk
``execute(update(Post), rows)``, SQL text updating ``posts`` and setting ``state``). Anything outside
``approval/workflow/engine.py`` fails the test: a state change that skips the engine skips its checks and its audit
row.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import approval

PACKAGE = Path(approval.__file__).parent
THE_WRITER = PACKAGE / "workflow" / "engine.py"


def state_writes(source: str) -> list[tuple[int, str]]:
    """(line, what) of every write of a ``state`` attribute in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        for target in _assigned(node):
            if isinstance(target, ast.Attribute) and target.attr == "state":
                found.append((target.lineno, f"{ast.unparse(target)} = ..."))
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node.func)
        if name == "setattr" and len(node.args) >= 2 and _is_state(node.args[1]):
            found.append((node.lineno, "setattr(..., 'state', ...)"))
        if name == "Post" and any(keyword.arg == "state" or (keyword.arg is None and _dict_has_state(keyword.value))
                                  for keyword in node.keywords):
            found.append((node.lineno, "Post(state=...)"))
        if name == "values" and (any(keyword.arg == "state" or (keyword.arg is None and _dict_has_state(keyword.value))
                                     for keyword in node.keywords) or any(_dict_has_state(a) for a in node.args)):
            found.append((node.lineno, ".values(state=...)"))
        if name in ("bulk_update_mappings", "bulk_insert_mappings"):
            found.append((node.lineno, f"{name}(...)"))
        if name == "execute" and len(node.args) >= 2 and _is_update_of_posts(node.args[0]):
            found.append((node.lineno, "execute(update(Post), [rows])"))
        if isinstance(node, ast.Call):
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str) \
                        and SQL_STATE_WRITE.search(argument.value):
                    found.append((node.lineno, "SQL text writing posts.state"))
    return sorted(set(found))


#: An UPDATE of the posts table that sets its state, in SQL text.
SQL_STATE_WRITE = re.compile(r'\bupdate\s+"?posts"?\s+set\b[^;]*?\bstate\b\s*=', re.IGNORECASE | re.DOTALL)


def _is_update_of_posts(node: ast.AST) -> bool:
    """``update(Post)`` executed with a list of rows: an ORM bulk UPDATE."""
    if not (isinstance(node, ast.Call) and _called_name(node.func) == "update" and node.args):
        return False
    return _called_name(node.args[0]) == "Post" or (isinstance(node.args[0], ast.Name) and node.args[0].id == "posts")


def _assigned(node: ast.AST) -> list[ast.AST]:
    """What ``node`` assigns to, tuples unpacked: ``a.b, c = ...``, ``for a.b in ...``, ``with ... as a.b``."""
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AugAssign | ast.AnnAssign | ast.For | ast.AsyncFor | ast.comprehension):
        targets = [node.target]
    elif isinstance(node, ast.With | ast.AsyncWith):
        targets = [item.optional_vars for item in node.items if item.optional_vars is not None]
    else:
        return []
    flat = []
    while targets:
        target = targets.pop()
        if isinstance(target, ast.Tuple | ast.List):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        else:
            flat.append(target)
    return flat


def _called_name(func: ast.AST) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_state(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "state"


def _dict_has_state(node: ast.AST) -> bool:
    if isinstance(node, ast.Dict):
        return any(key is not None and _is_state(key) for key in node.keys)
    if isinstance(node, ast.Call) and _called_name(node.func) == "dict":
        return any(keyword.arg == "state" for keyword in node.keywords)
    return False


def test_only_the_engine_writes_a_posts_state():
    sources = sorted(PACKAGE.rglob("*.py"))
    assert THE_WRITER in sources
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {what}"
        for path in sources
        if path != THE_WRITER
        for line, what in state_writes(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "only approval/workflow/engine.py may write a state:\n" + "\n".join(offenders)


def test_the_engine_itself_is_seen_writing_the_state():
    # If this fails, the detector went blind (or the engine moved): the test above would then prove nothing.
    assert state_writes(THE_WRITER.read_text(encoding="utf-8"))


OFFENDING = {
    "assignment": "post.state = State.approved",
    "assignment through a chain": "self.claim.post.state = 'published'",
    "augmented assignment": "post.state += ''",
    "annotated assignment": "post.state: State = State.draft",
    "tuple unpacking": "post.version, post.state = 2, State.draft",
    "chained assignment": "a = post.state = State.draft",
    "starred unpacking": "first, *post.state = states",
    "loop target": "for post.state in (State.draft,): pass",
    "comprehension target": "[0 for post.state in (State.draft,)]",
    "with target": "with transition() as post.state: pass",
    "setattr": "setattr(post, 'state', State.published)",
    "builtins.setattr": "builtins.setattr(post, 'state', State.published)",
    "constructor": "Post(account=account, state=State.approved)",
    "constructor through the module": "models.Post(account=account, state=State.approved)",
    "constructor with a dict": "Post(**{'state': State.approved}, account=account)",
    "constructor with dict()": "Post(**dict(state=State.approved))",
    "Core update": "session.execute(update(Post).where(Post.id == 1).values(state='published'))",
    "Core update with a dict": "session.execute(update(Post).values({'state': 'published'}))",
    "Core update with **": "session.execute(update(Post).values(**{'state': 'published'}))",
    "bulk update mappings": "session.bulk_update_mappings(Post, [{'id': 1, 'state': 'published'}])",
    "ORM bulk UPDATE": "session.execute(update(Post), [{'id': 1, 'state': 'published'}])",
    "SQL text": "session.execute(text('UPDATE posts SET state = :s WHERE id = :id'))",
    "SQL text across lines": 'connection.exec_driver_sql("update \\"posts\\"\\n set version = 2, state = 1")',
}


def test_the_detector_catches_every_way_of_writing_a_state():
    missed = [name for name, snippet in OFFENDING.items() if not state_writes(snippet)]
    assert not missed, f"the detector misses: {missed}"


def test_the_detector_leaves_reading_and_other_names_alone():
    innocent = textwrap.dedent("""
        state = post.state
        if post.state is State.draft:
            post.status = "ok"
            post.states = []
        getattr(post, "state")
        setattr(post, "version", 2)
        Account(kind="brand")
        Post(account=account, body="state=approved")
        row = {"state": post.state}
        select(Post).where(Post.state == State.draft)
        update(Post).values(version=Post.version + 1)
        text("UPDATE accounts SET state = 1")
        text("SELECT state FROM posts")
        session.execute(update(Account), [{"id": 1, "active": False}])
    """)
    assert state_writes(innocent) == []
