"""A small, safe, vectorized expression language for derived columns and parameters.

Expressions are parsed with ``ast`` and only a whitelist of node types and functions is
evaluated, over pandas Series; Python ``eval`` is never used, so a config file cannot run code.
Names are the row's own columns, ``<parent>.<column>`` for looked-up parents, and
``index_in_parent`` for child tables.

Every expression is bounded (``core.bounds``): its length, node count and depth are checked when
it is parsed, every part that reads no column is evaluated then too (so ``10**10**10``,
``'x' * 10**9``, ``1 / 0`` and ``date('2005-02-30')`` are config errors before any work), and
the operators that can grow a value (``**``, ``*`` on text, ``+`` on text, ``round``,
``strftime``) check the size of their result before making it. Division by a column that is 0
in some rows gives null in those rows (as SQL's ``x / NULLIF(y, 0)``); a divisor that is 0
whatever the row is a config error.
"""

from __future__ import annotations

import ast
import inspect
import math
import operator
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from synthgen_sdv.core import bounds
from synthgen_sdv.core.errors import InputError
from synthgen_sdv.core.registry import Registry
from synthgen_sdv.core.values import (
    as_arrow_text,
    civil_from_days,
    format_datetimes,
    int_overflow,
    is_text,
    on_arrays,
    text,
)

FUNCTIONS: Registry[Callable[..., Any]] = Registry("expression function")


class ExpressionError(InputError, ValueError):
    """An expression that cannot be parsed, uses something not allowed, exceeds a limit or
    cannot be evaluated on its inputs (a ValueError too, so config validators report it)."""


def _text_len(x: Any) -> int:
    """The longest text in ``x`` (0 when it holds no text)."""
    if isinstance(x, str):
        return len(x)
    if isinstance(x, pd.Series) and x.dtype == object and len(x):
        return int(x.map(lambda v: len(v) if isinstance(v, str) else 0).max())
    if isinstance(x, pd.Series) and is_text(x) and len(x):  # Arrow-backed text (core.values)
        return int(pc.max(pc.utf8_length(as_arrow_text(x))).as_py() or 0)
    return 0


def _largest(x: Any) -> float:
    """The largest number in ``x`` (0 for anything that is not a number)."""
    if isinstance(x, bool | np.bool_):
        return float(x)
    if isinstance(x, int | float | np.integer | np.floating):
        return float(x)
    if isinstance(x, pd.Series) and pd.api.types.is_numeric_dtype(x.dtype) and len(x):
        top = x.max()
        return 0.0 if pd.isna(top) else float(top)
    return 0.0


def _check_text(length: float, what: str) -> None:
    if length > bounds.MAX_TEXT_CHARS:
        raise ExpressionError(
            f"{what} would make text values of {length:,.0f} characters; the limit is "
            f"{bounds.MAX_TEXT_CHARS:,}"
        )


def _check_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        problem = bounds.int_bits_problem(value.bit_length())
        if problem:
            raise ExpressionError(problem)
    return value


def _no_int_overflow(op: Callable[[Any, Any], Any], symbol: str) -> Callable[[Any, Any], Any]:
    """``op``, where 64-bit integers that wrapped around (numpy does so silently: ``qty **
    1000`` gave 0 in some rows) are an error saying in how many rows (``int_overflow``)."""

    def checked(a: Any, b: Any) -> Any:
        out = op(a, b)
        over = int_overflow(op, a, b, out)
        if over is not None:
            raise ExpressionError(
                f"'{symbol}' gives integers beyond 64 bits in {over[0]:,} of {len(out):,} rows "
                f"(e.g. about {over[1]:.3g}); use float(...) for numbers that large"
            )
        return out

    return checked


_ADD = _no_int_overflow(on_arrays(operator.add), "+")
_MUL = _no_int_overflow(on_arrays(operator.mul), "*")
_SUB = _no_int_overflow(on_arrays(operator.sub), "-")
_POW = _no_int_overflow(operator.pow, "**")


def _add(a: Any, b: Any) -> Any:
    longest = _text_len(a) + _text_len(b)  # each measured once (a pass over Arrow text)
    if longest:
        _check_text(longest, "'+'")
    return _check_int(_ADD(a, b))


def _mul(a: Any, b: Any) -> Any:
    for value, times in ((a, b), (b, a)):
        if _text_len(value):
            _check_text(_text_len(value) * max(_largest(times), 0), "repeating text with '*'")
    if isinstance(a, int) and isinstance(b, int):
        problem = bounds.int_bits_problem(a.bit_length() + b.bit_length())
        if problem:
            raise ExpressionError(problem)
    return _MUL(a, b)


def _pow(a: Any, b: Any) -> Any:
    if isinstance(a, int | float) and isinstance(b, int | float) and abs(a) > 1 and b > 0:
        bits = float(b) * math.log2(abs(a))
        problem = bounds.int_bits_problem(bits) if isinstance(a, int) else None
        if problem or bits > 1024:  # floats overflow at 2**1024
            raise ExpressionError(problem or f"{a!r} ** {b!r} overflows a floating-point number")
    out = _POW(a, b)
    if isinstance(out, complex):
        raise ExpressionError(f"{a!r} ** {b!r} is not a real number")
    return out


def _is_zero(b: Any) -> bool:
    return not isinstance(b, pd.Series | np.ndarray) and isinstance(b, int | float) and b == 0


def _divide(op: Callable[[Any, Any], Any], symbol: str) -> Callable[[Any, Any], Any]:
    """``op`` where a zero divisor gives null in its rows (a constant zero is an error).
    On arrays, integers divided by zero give numpy's 0 where pandas gives inf: those rows
    become null either way."""
    fast = on_arrays(op)

    def divide(a: Any, b: Any) -> Any:
        if _is_zero(b):
            raise ExpressionError(f"division by zero ('{symbol} 0')")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = fast(a, b)
        if isinstance(b, pd.Series) and isinstance(out, pd.Series):
            zero = (b == 0).to_numpy()
            if zero.any():
                out = out.astype(float).mask(zero)
        return out

    return divide


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: _add,
    ast.Sub: _SUB,
    ast.Mult: _mul,
    ast.Div: _divide(operator.truediv, "/"),
    ast.FloorDiv: _divide(operator.floordiv, "//"),
    ast.Mod: _divide(operator.mod, "%"),
    ast.Pow: _pow,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: on_arrays(operator.eq),
    ast.NotEq: on_arrays(operator.ne),
    ast.Lt: on_arrays(operator.lt),
    ast.LtE: on_arrays(operator.le),
    ast.Gt: on_arrays(operator.gt),
    ast.GtE: on_arrays(operator.ge),
}


#: errors an operator or function raises on inputs it cannot take (the input's fault)
_EVAL_ERRORS = (
    TypeError,
    ValueError,
    ArithmeticError,
    AttributeError,
    IndexError,
    NotImplementedError,  # pandas: an operator its dtype lacks (bool / bool)
)


@lru_cache(maxsize=1024)
def parse(expr: str) -> ast.Expression:
    """Parse and check an expression against the whitelist and the limits, and evaluate the
    parts that read no column (so their errors are found now); raise ExpressionError."""
    if not isinstance(expr, str):
        raise ExpressionError(f"an expression must be text, got {expr!r}")
    text = expr.strip()
    if len(text) > bounds.MAX_EXPRESSION_CHARS:
        raise ExpressionError(
            f"expression is {len(text):,} characters long; the limit is "
            f"{bounds.MAX_EXPRESSION_CHARS:,}"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"cannot parse expression {_short(expr)}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"cannot parse expression {_short(expr)}: {exc}") from None
    _check_shape(tree)
    for node in ast.walk(tree):
        _check_node(node)
    try:
        _fold_constants(tree.body)
    except ExpressionError:
        raise
    except _EVAL_ERRORS as exc:
        raise ExpressionError(f"cannot evaluate {_short(expr)}: {exc}") from None
    return tree


def _short(expr: str) -> str:
    return repr(expr if len(expr) <= 80 else expr[:77] + "...")


def _check_shape(tree: ast.AST) -> None:
    """Node count and depth, walked without recursion (a deep tree must not overflow here)."""
    count, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > bounds.MAX_EXPRESSION_NODES:
            raise ExpressionError(
                f"expression has more than {bounds.MAX_EXPRESSION_NODES} parts; split it into "
                "helper columns (emit: false)"
            )
        if depth > bounds.MAX_EXPRESSION_DEPTH:
            raise ExpressionError(
                f"expression is nested more than {bounds.MAX_EXPRESSION_DEPTH} levels deep; "
                "split it into helper columns (emit: false)"
            )
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _reads_columns(node: ast.AST) -> bool:
    functions = {id(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)}
    return any(
        isinstance(n, ast.Attribute)
        or (isinstance(n, ast.Name) and n.id not in _NAMED and id(n) not in functions)
        for n in ast.walk(node)
    )


def _fold_constants(node: ast.AST) -> None:
    """Evaluate every largest part that reads no column; a zero divisor is an error too."""
    if isinstance(node, ast.Constant) or not isinstance(node, ast.expr):
        return
    if not _reads_columns(node):
        try:
            _check_int_range(_eval(node, {}), ast.unparse(node))
        except ExpressionError:
            raise
        except _EVAL_ERRORS as exc:
            raise ExpressionError(
                f"cannot evaluate {_short(ast.unparse(node))}: {type(exc).__name__}: {exc}"
            ) from None
        return
    divides = isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div | ast.FloorDiv | ast.Mod)
    if divides and not _reads_columns(node.right):  # type: ignore[attr-defined]
        right = node.right  # type: ignore[attr-defined]
        _fold_constants(right)
        if _is_zero(_eval(right, {})):
            raise ExpressionError(
                f"division by zero: {_short(ast.unparse(node))} divides by "
                f"{ast.unparse(right)}, which is 0"
            )
    if isinstance(node, ast.Call) and node.func.id in _CONSTANT_ARGS:  # type: ignore[attr-defined]
        index, check = _CONSTANT_ARGS[node.func.id]  # type: ignore[attr-defined]
        if len(node.args) > index and not _reads_columns(node.args[index]):
            check(_eval(node.args[index], {}))
    for child in ast.iter_child_nodes(node):
        _fold_constants(child)


def _check_int_range(value: Any, what: str) -> None:
    """A result is written as a 64-bit integer at most, a date within what a column holds
    (1677-2262, nanoseconds), and a float that reads no column is finite (``exp(1000)`` is
    infinity: refused as ``.inf`` is in the YAML)."""
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**63:
        raise ExpressionError(f"{_short(what)} does not fit in a 64-bit integer")
    if isinstance(value, float) and math.isinf(value):
        raise ExpressionError(f"{_short(what)} overflows to infinity")
    if isinstance(value, pd.Timestamp) and not pd.Timestamp.min <= value <= pd.Timestamp.max:
        raise ExpressionError(
            f"{_short(what)} is {value.date()}, outside the dates a column holds "
            f"({pd.Timestamp.min.date()} to {pd.Timestamp.max.date()})"
        )


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
        try:
            inspect.signature(FUNCTIONS.get(node.func.id)).bind(*node.args)
        except TypeError as exc:
            raise ExpressionError(f"{node.func.id}(): {exc}") from None


def references(expr: str) -> set[str]:
    """Column names an expression reads: 'qty' or 'products.unit_price' (not function names)."""
    return set(_references(expr))


@lru_cache(maxsize=1024)
def _references(expr: str) -> frozenset[str]:
    """``references``, walked once per expression (chunks ask again for every chunk)."""
    tree = parse(expr)
    skip = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    skip |= {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    refs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            refs.add(f"{node.value.id}.{node.attr}")
        elif isinstance(node, ast.Name) and id(node) not in skip:
            refs.add(node.id)
    return frozenset(refs - {"True", "False", "None"})


def evaluate(expr: str, env: Mapping[str, Any], n: int) -> pd.Series:
    """Evaluate over ``env`` (name -> Series or scalar) and broadcast the result to n rows;
    an input the expression cannot take raises ExpressionError naming the expression."""
    tree = parse(expr)
    try:
        with np.errstate(all="ignore"):  # log(0) is -inf, 0/0 null: values, not warnings
            value = _eval(tree.body, env)
        _check_int_range(value, expr)
        return broadcast(value, n)
    except ExpressionError:
        raise
    except _EVAL_ERRORS as exc:
        raise ExpressionError(
            f"cannot evaluate {_short(expr)}: {type(exc).__name__}: {exc}"
        ) from None


def broadcast(value: Any, n: int) -> pd.Series:
    """A scalar or Series as a Series of n rows."""
    if isinstance(value, pd.Series):
        index = value.index  # most are 0..n-1 already: no new Series then
        plain = isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1
        return value if plain else value.reset_index(drop=True)
    if isinstance(value, np.ndarray):
        return pd.Series(value)
    if not n:
        return pd.Series([], dtype=object)
    if isinstance(value, bool | int | float) and not isinstance(value, np.generic):
        return pd.Series(np.full(n, value))  # a constant without a Python list of n items
    if isinstance(value, pd.Timestamp) and value.tz is None:
        return pd.Series(np.full(n, value.as_unit("ns").to_datetime64()))
    return pd.Series([value] * n)


_NAMED = {"True": True, "False": False, "None": None}


def _lookup(name: str, env: Mapping[str, Any]) -> Any:
    """A name's values; an unknown name is an expression error naming it and the known ones
    (the config's checks normally catch it first, with its YAML path)."""
    try:
        return env[name]
    except KeyError:
        known = ", ".join(sorted(env)[:20])
        raise ExpressionError(f"unknown name {name!r}; known here: {known}") from None


def _eval(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _NAMED:
            return _NAMED[node.id]
        return _lookup(node.id, env)
    if isinstance(node, ast.Attribute):
        return _lookup(f"{node.value.id}.{node.attr}", env)  # type: ignore[attr-defined]
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


def _register(name: str, fn: Callable[..., Any]) -> None:
    FUNCTIONS.register(name)(fn)


def _where(cond: Any, a: Any, b: Any) -> Any:
    if not isinstance(cond, pd.Series):
        return a if cond else b
    n = len(cond)
    a_s, b_s = broadcast(a, n), broadcast(b, n)
    same = a_s.dtype == b_s.dtype and isinstance(a_s.dtype, np.dtype) and a_s.dtype.kind in "if"
    if same and cond.dtype == np.bool_:  # pandas' where gives numpy's here (no upcast to try)
        return pd.Series(np.where(cond.to_numpy(), a_s.to_numpy(), b_s.to_numpy()))
    return a_s.where(cond.fillna(False).astype(bool).to_numpy(), b_s)


def _check_digits(digits: Any) -> None:
    if isinstance(digits, pd.Series) or abs(int(digits)) > bounds.MAX_ROUND_DIGITS:
        raise ExpressionError(
            f"round(): digits must be a number from -{bounds.MAX_ROUND_DIGITS} to "
            f"{bounds.MAX_ROUND_DIGITS}"
        )


def _round(x: Any, digits: int = 0) -> Any:
    _check_digits(digits)
    return x.round(int(digits)) if isinstance(x, pd.Series) else round(x, int(digits))


def _check_strftime(fmt: Any) -> None:
    if not isinstance(fmt, str):
        raise ExpressionError("strftime(): the format must be a text constant, like '%d/%m/%Y'")
    problem = bounds.strftime_problem(fmt)
    if problem:
        raise ExpressionError(f"strftime(): {problem}")


def _strftime(d: Any, fmt: Any) -> Any:
    """Dates as text; datetime Series in a vectorized pass when the format allows it."""
    _check_strftime(fmt)
    if isinstance(d, pd.Series) and pd.api.types.is_datetime64_any_dtype(d.dtype):
        fast = format_datetimes(d.to_numpy(), fmt)
        if fast is not None:
            return text(fast)
    return _dt(d).strftime(fmt)


#: arguments checked when the expression is parsed, if they read no column: (index, check)
_CONSTANT_ARGS: dict[str, tuple[int, Callable[[Any], None]]] = {
    "round": (1, _check_digits),
    "strftime": (1, _check_strftime),
}


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


def _date_part(d: Any, name: str) -> Any:
    """Year, month, day or yyyymmdd, as pandas' ``.dt`` gives them (int32), by integer
    calendar arithmetic when the dates have no nulls (``civil_from_days``; pandas' field
    extraction is several times slower); anything else through ``.dt``."""
    numpy_dates = isinstance(d, pd.Series) and isinstance(d.dtype, np.dtype) and d.dtype.kind == "M"
    if numpy_dates and not d.hasnans:  # NaT: pandas' floats with NaN, below
        days = d.to_numpy().astype("datetime64[D]").astype(np.int64)
        year, month, day = civil_from_days(days)
        parts = {"year": year, "month": month, "day": day}
        part = year * 10000 + month * 100 + day if name == "yyyymmdd" else parts[name]
        return pd.Series(part.astype(np.int32))
    if name == "yyyymmdd":
        return _dt(d).year * 10000 + _dt(d).month * 100 + _dt(d).day
    return getattr(_dt(d), name)


def _case(x: Any, which: str) -> Any:
    """``upper``/``lower``: Arrow-backed text by Arrow's ASCII kernel when it is all ASCII
    (the same text as the Unicode one gives, several times faster), else as pandas does."""
    if not isinstance(x, pd.Series):
        return getattr(str(x), which)()
    if is_text(x):
        arr = as_arrow_text(x)
        if pc.all(pc.string_is_ascii(arr)).as_py() is not False:
            return text(getattr(pc, f"ascii_{which}")(arr))
    return getattr(x.str, which)()


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
    "upper": lambda x: _case(x, "upper"),
    "lower": lambda x: _case(x, "lower"),
    "date": lambda s: pd.Timestamp(s),
    "days": lambda x: pd.to_timedelta(x, unit="D"),
    "add_months": _add_months,
    "year": lambda d: _date_part(d, "year"),
    "month": lambda d: _date_part(d, "month"),
    "day": lambda d: _date_part(d, "day"),
    "quarter": lambda d: _dt(d).quarter,
    "weekday": lambda d: _dt(d).weekday if isinstance(d, pd.Series) else pd.Timestamp(d).weekday(),
    "yyyymmdd": lambda d: _date_part(d, "yyyymmdd"),
    "strftime": _strftime,
}
for _name, _fn in _BUILTINS.items():
    _register(_name, _fn)
