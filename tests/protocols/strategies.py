"""Hypothesis strategies for valid TDP/1 messages, derived from msgspec's type info.

Every class in `protocols.messages.MESSAGE_TYPES` gets a strategy built from `msgspec.inspect`, so a
message class added later is covered without touching this file; a field of a type not handled here
fails loudly (`NotImplementedError`) instead of being skipped. The rules a schema cannot state (positive
request ids, non-negative epochs, the text and SDP limits) are applied by keeping values inside them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import msgspec
from hypothesis import strategies as st

from protocols.messages import MESSAGE_TYPES, Message, Request

#: Longest generated string: short enough that no message nears MAX_MESSAGE_BYTES or a field limit.
MAX_STRING = 24
#: Longest generated list.
MAX_LIST = 3
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: Text a peer can send: any Unicode scalar value (no lone surrogates, which UTF-8 cannot carry).
text = st.text(st.characters(codec="utf-8"), max_size=MAX_STRING)


def json_scalars() -> st.SearchStrategy[Any]:
    """JSON scalars that survive a round trip: finite floats, 64-bit integers, valid text."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(INT64_MIN, INT64_MAX),
        st.floats(allow_nan=False, allow_infinity=False),
        text,
    )


def json_values(max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Arbitrary JSON documents (objects, arrays and scalars, nested)."""
    return st.recursive(
        json_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=MAX_LIST + 1),
            st.dictionaries(text, inner, max_size=MAX_LIST + 1),
        ),
        max_leaves=max_leaves,
    )


def for_type(info: msgspec.inspect.Type) -> st.SearchStrategy[Any]:
    """A strategy for values of the msgspec type ``info`` that encode and decode back unchanged."""
    mi = msgspec.inspect
    if isinstance(info, mi.StructType):
        return for_struct(info.cls)
    if isinstance(info, mi.UnionType):
        return st.one_of(*(for_type(member) for member in info.types))
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.IntType):
        return _integers(info)
    if isinstance(info, mi.FloatType):
        return st.floats(
            min_value=info.ge if info.ge is not None else info.gt,
            max_value=info.le if info.le is not None else info.lt,
            exclude_min=info.gt is not None,
            exclude_max=info.lt is not None,
            allow_nan=False,
            allow_infinity=False,
        )
    if isinstance(info, mi.StrType):
        if info.pattern is not None:
            return st.from_regex(info.pattern, fullmatch=True)
        low = info.min_length or 0
        return st.text(st.characters(codec="utf-8"), min_size=low, max_size=max(low, min(
            MAX_STRING, info.max_length if info.max_length is not None else MAX_STRING)))
    if isinstance(info, mi.ListType):
        low = info.min_length or 0
        return st.lists(for_type(info.item_type), min_size=low, max_size=max(low, MAX_LIST))
    if isinstance(info, mi.DictType):
        return st.dictionaries(for_type(info.key_type), for_type(info.value_type), max_size=MAX_LIST)
    if isinstance(info, mi.AnyType):
        return json_values()
    raise NotImplementedError(f"tests/protocols/strategies.py has no strategy for {info!r}; add one")


def _integers(info: msgspec.inspect.IntType, low: int = INT64_MIN) -> st.SearchStrategy[int]:
    lo = max(low, low if info.ge is None else info.ge, low if info.gt is None else info.gt + 1)
    hi = INT64_MAX
    if info.le is not None:
        hi = min(hi, info.le)
    if info.lt is not None:
        hi = min(hi, info.lt - 1)
    values = st.integers(lo, hi)
    if info.multiple_of is not None:
        step = info.multiple_of
        values = values.map(lambda n: n - n % step).filter(lambda n: lo <= n <= hi)
    return values


def _field_strategy(cls: type[msgspec.Struct], field: msgspec.inspect.Field) -> st.SearchStrategy[Any]:
    """The field's strategy, narrowed by the codec's rules: request ids are positive, epochs not negative."""
    info = field.type
    if isinstance(info, msgspec.inspect.IntType):
        if field.name == "id" and issubclass(cls, Request):
            return _integers(info, low=1)
        if field.name == "epoch" and issubclass(cls, Message):
            return _integers(info, low=0)
    return for_type(info)


@cache
def for_struct(cls: type[msgspec.Struct]) -> st.SearchStrategy[Any]:
    """Instances of a Struct class; optional fields are sometimes left at their default."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)

    def build() -> st.SearchStrategy[Any]:
        required = {f.name: _field_strategy(cls, f) for f in info.fields if f.required}
        optional = {f.name: _field_strategy(cls, f) for f in info.fields if not f.required}
        return st.fixed_dictionaries(required, optional=optional).map(lambda kwargs: cls(**kwargs))

    # deferred: a record type that (one day) contains itself must not recurse at build time
    return st.deferred(build)


def messages_of(cls: type[Message]) -> st.SearchStrategy[Message]:
    """Valid instances of one message class."""
    strategy: st.SearchStrategy[Message] = for_struct(cls)
    return strategy


#: Every message class, in tag order (stable for parametrised tests).
MESSAGE_CLASSES: list[type[Message]] = [MESSAGE_TYPES[tag] for tag in sorted(MESSAGE_TYPES)]
REQUEST_TAGS: list[str] = sorted(tag for tag, cls in MESSAGE_TYPES.items() if issubclass(cls, Request))


def messages() -> st.SearchStrategy[Message]:
    """A valid instance of any message class."""
    return st.one_of(*(messages_of(cls) for cls in MESSAGE_CLASSES))


__all__ = [
    "MESSAGE_CLASSES",
    "REQUEST_TAGS",
    "for_struct",
    "for_type",
    "json_scalars",
    "json_values",
    "messages",
    "messages_of",
    "text",
]
