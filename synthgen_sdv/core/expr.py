"""A small, safe, vectorized expression language for derived columns and parameters.

Expressions are parsed with ``ast`` and only a whitelist of node types and functions is
evaluated, over pandas Series; Python ``eval`` is never used, so a config file cannot run code.
Names are the row's own columns, ``<parent>.<column>`` for looked-up parents, and
``index_in_parent`` for child tables.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.values import format_datetimes, text

FUNCTIONS: Registry[Callable[..., Any]] = Registry("expression function")

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}


class ExpressionError(ValueError):
    """An expression that cannot be parsed or uses something not allowed."""


@lru_cache(maxsize=1024)
def parse(expr: str) -> ast.Expression:
    """Parse and check an expression against the whitelist; raise ExpressionError."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {expr!r}: {exc.msg}") from None
    for node in ast.walk(tree):
        _check_node(node)
    return tree


def _check_node(node: ast.AST) -> None:
    allowed = (
        ast.Expression,
        ast.BinOp,
        ast.UnaryOp,
        ast.Compare,
        ast.BoolOp,
        ast.Name,
        ast.Attribute,
        ast.Call,
        ast.Constant,
        ast.IfExp,
        ast.Load,
        ast.USub,
        ast.UAdd,
        ast.Not,
        ast.And,
        ast.Or,
        *_BINOPS,
        *_CMPOPS,
    )
    if not isinstance(node, allowed):
        raise ExpressionError(f"'{type(node).__name__}' is not allowed in expressions")
    if isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name):
        raise ExpressionError("only one level of '<table>.<column>' is allowed")
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only plain function calls like round(x, 2) are allowed")
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(FUNCTIONS.unknown_message(node.func.id))
        if node.keywords:
            raise ExpressionError(f"{node.func.id}(): keyword arguments are not supported")


def references(expr: str) -> set[str]:
    """Column names an expression reads: 'qty' or 'products.unit_price' (not function names)."""
    tree = parse(expr)
    skip = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    skip |= {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    refs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            refs.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and id(node) not in skip:
            refs.add(node.id)
    return refs - {"True", "False", "None"}


def evaluate(expr: str, env: Mapping[str, Any], n: int) -> pd.Series:
    """Evaluate over ``env`` (name -> Series or scalar) and broadcast the result to n rows."""
    value = _eval(parse(expr).body, env)
    return broadcast(value, n)


def broadcast(value: Any, n: int) -> pd.Series:
    """A scalar or Series as a Series of n rows."""
    if isinstance(value, pd.Series):
        return value.reset_index(drop=True)
    if isinstance(value, np.ndarray):
        return pd.Series(value)
    if not n:
        return pd.Series([], dtype=object)
    if isinstance(value, bool | int | float) and not isinstance(value, np.generic):
        return pd.Series(np.full(n, value))  # a constant without a Python list of n items
    if isinstance(value, pd.Timestamp) and value.tz is None:
        return pd.Series(np.full(n, value.as_unit("ns").to_datetime64()))
    return pd.Series([value] * n)


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in ("True", "False", "None"):
            return {"True": True, "False": False, "None": None}[node.id]
        return env[node.id]
    if isinstance(node, ast.Attribute):
        return env[f"{node.value.id}.{node.attr}"]  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, env)
        if isinstance(node.op, ast.Not):
            return ~operand if isinstance(operand, pd.Series) else not operand
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        result = None
        for op, comp in zip(node.ops, node.comparators, strict=True):
            right = _eval(comp, env)
            part = _CMPOPS[type(op)](left, right)
            result = part if result is None else (result & part)
            left = right
        return result
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, env) for v in node.values]
        out = values[0]
        for v in values[1:]:
            out = (out & v) if isinstance(node.op, ast.And) else (out | v)
        return out
    if isinstance(node, ast.IfExp):
        return FUNCTIONS.get("where")(
            _eval(node.test, env), _eval(node.body, env), _eval(node.orelse, env)
        )
    if isinstance(node, ast.Call):
        args = [_eval(a, env) for a in node.args]
        return FUNCTIONS.get(node.func.id)(*args)  # type: ignore[attr-defined]
    raise ExpressionError(f"'{type(node).__name__}' is not allowed in expressions")


def _series(x: Any) -> pd.Series:
    return x if isinstance(x, pd.Series) else pd.Series([x])


def _dt(x: Any) -> Any:
    if isinstance(x, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(x.dtype):
            return x.dt  # pd.to_datetime would scan values to decide on caching
        return pd.to_datetime(x).dt
    return pd.Timestamp(x)


def _strftime(d: Any, fmt: str) -> Any:
    """Dates as text; datetime Series in a vectorized pass when the format allows it."""
    if isinstance(d, pd.Series) and pd.api.types.is_datetime64_any_dtype(d.dtype):
        fast = format_datetimes(d.to_numpy(), fmt)
        if fast is not None:
            return text(fast)
    return _dt(d).strftime(fmt)


def _register(name: str, fn: Callable[..., Any]) -> None:
    FUNCTIONS.register(name)(fn)


def _where(cond: Any, a: Any, b: Any) -> Any:
    if not isinstance(cond, pd.Series):
        return a if cond else b
    n = len(cond)
    a_s, b_s = broadcast(a, n), broadcast(b, n)
    return a_s.where(cond.fillna(False).astype(bool).to_numpy(), b_s)


def _round(x: Any, digits: int = 0) -> Any:
    return x.round(int(digits)) if isinstance(x, pd.Series) else round(x, int(digits))


def _add_months(d: Any, months: Any) -> Any:
    s = pd.to_datetime(_series(d)) if isinstance(d, pd.Series) else pd.Timestamp(d)
    if not isinstance(s, pd.Series):
        if isinstance(months, pd.Series):
            s = broadcast(s, len(months))
        else:
            return s + pd.DateOffset(months=int(months))
    months_arr = np.asarray(broadcast(months, len(s)), dtype="int64")
    base = s.to_numpy().astype("datetime64[M]")
    first = (base + months_arr.astype("timedelta64[M]")).astype("datetime64[D]")
    next_first = (base + (months_arr + 1).astype("timedelta64[M]")).astype("datetime64[D]")
    day = s.dt.day.to_numpy() - 1
    last_day = (next_first - first).astype("int64") - 1
    out = first + np.minimum(day, last_day).astype("timedelta64[D]")
    return pd.Series(out.astype("datetime64[ns]"))


def _np1(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda x: pd.Series(fn(x.to_numpy(dtype=float))) if isinstance(x, pd.Series) else fn(x)


_BUILTINS: dict[str, Callable[..., Any]] = {
    "where": _where,
    "round": _round,
    "abs": lambda x: abs(x),
    "floor": _np1(np.floor),
    "ceil": _np1(np.ceil),
    "sqrt": _np1(np.sqrt),
    "log": _np1(np.log),
    "exp": _np1(np.exp),
    "min": lambda a, b: np.minimum(a, b),
    "max": lambda a, b: np.maximum(a, b),
    "clip": lambda x, lo, hi: np.clip(x, lo, hi),
    "coalesce": lambda a, b: a.fillna(b) if isinstance(a, pd.Series) else (b if a is None else a),
    "isnull": lambda x: x.isna() if isinstance(x, pd.Series) else x is None,
    "int": lambda x: x.astype("int64") if isinstance(x, pd.Series) else int(x),
    "float": lambda x: x.astype("float64") if isinstance(x, pd.Series) else float(x),
    "str": lambda x: x.astype(str) if isinstance(x, pd.Series) else str(x),
    "upper": lambda x: x.str.upper() if isinstance(x, pd.Series) else str(x).upper(),
    "lower": lambda x: x.str.lower() if isinstance(x, pd.Series) else str(x).lower(),
    "date": lambda s: pd.Timestamp(s),
    "days": lambda x: pd.to_timedelta(x, unit="D"),
    "add_months": _add_months,
    "year": lambda d: _dt(d).year,
    "month": lambda d: _dt(d).month,
    "day": lambda d: _dt(d).day,
    "quarter": lambda d: _dt(d).quarter,
    "weekday": lambda d: _dt(d).weekday if isinstance(d, pd.Series) else pd.Timestamp(d).weekday(),
    "yyyymmdd": lambda d: _dt(d).year * 10000 + _dt(d).month * 100 + _dt(d).day,
    "strftime": lambda d, fmt: _strftime(d, fmt),
}
for _name, _fn in _BUILTINS.items():
    _register(_name, _fn)
