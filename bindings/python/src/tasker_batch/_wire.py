"""The base of every model that is validated by the core: a Pydantic v2 model whose
construction and parsing send the input to one core operation and build the model from the
canonical value the core returns. Pydantic only holds and names the fields."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar, Dict, List, Optional, Sequence

from pydantic import BaseModel, ConfigDict, PrivateAttr

from . import _codec
from .errors import Diagnostic, ValidationError


class WireModel(BaseModel):
    """A value of the contract, always in the canonical form the core returned.

    - ``Model(**fields)`` and ``Model.model_validate(obj)`` validate in Rust and raise
      :class:`~tasker_batch.ValidationError` (also a ``ValueError``) with the core's ``code``,
      ``path`` and ``message``; ``model_validate_json(text)`` sends the text as it is.
    - ``model_dump()`` is the wire JSON as Python values: contract keys in order, caller keys
      kept after them, integers exact at any size. ``model_dump_json()`` is that JSON text.
    - ``warnings`` holds what the core found suspicious but legal.
    """

    model_config = ConfigDict(extra="allow", validate_assignment=False, protected_namespaces=())

    _operation: ClassVar[bytes] = b""
    _defaults: ClassVar[Dict[str, Any]] = {}
    _warnings: Sequence[Diagnostic] = PrivateAttr(default=())
    # The core's key order when it is not fields-then-extras (worker inputs keep the template's
    # keys first): model_dump() gives that order back.
    _order: Optional[Sequence[str]] = PrivateAttr(default=None)

    def __init__(self, **data: Any) -> None:
        value, warnings = _codec.call_value(self._operation, {**self._defaults, **data})
        self._check_shape(value)
        super().__init__(**value)
        self._warnings = warnings
        self._order = self._core_order(value)

    def _core_order(self, value: Any) -> Optional[Sequence[str]]:
        keys = tuple(value) if isinstance(value, dict) else ()
        return None if keys == tuple(self.__dict__) + tuple(self.__pydantic_extra__ or ()) else keys

    def model_dump(self, *args: Any, **kwargs: Any) -> Dict[str, Any]:  # type: ignore[override]
        """The wire JSON as Python values, keys in the core's order."""
        dumped = super().model_dump(*args, **kwargs)
        order = self._order
        if order is None or args or kwargs or len(order) != len(dumped):
            return dumped
        return {key: dumped[key] for key in order}

    @classmethod
    def model_validate(cls, obj: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Validates ``obj`` (a dict of the wire shape, or a model) in the core."""
        if isinstance(obj, cls):
            return obj
        if isinstance(obj, dict) and cls._defaults:
            obj = {**cls._defaults, **obj}
        value, warnings = _codec.call_value(cls._operation, obj)
        return cls._from_core(value, warnings)

    @classmethod
    def model_validate_json(cls, json_data: Any, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        """Validates the JSON text ``json_data`` in the core, exactly as written."""
        text = _codec.c_text(json_data, "json_data")
        value, warnings = _codec.call_raw(cls._operation, text)
        return cls._from_core(value, warnings)

    @classmethod
    def _from_core(cls, value: Any, warnings: List[Diagnostic]) -> Any:
        cls._check_shape(value)
        # Pydantic's own validator on the canonical value: it builds nested models without
        # sending them to the core again (the core validated the whole value at once).
        model = cls.__pydantic_validator__.validate_python(value)
        model._warnings = warnings
        model._order = model._core_order(value)
        return model

    @classmethod
    def _check_shape(cls, value: Any) -> None:
        """Refuses a canonical value of another variant than ``cls`` (a ``no_batches`` outcome
        given to ``CreateBatchesOutcome``)."""
        expected = cls._defaults.get("type")
        if expected is not None and isinstance(value, dict) and value.get("type") != expected:
            raise ValidationError(
                "invalid_value", "type", f"expected type {expected!r} for {cls.__name__}, found {value.get('type')!r}"
            )

    @property
    def warnings(self) -> List[Diagnostic]:
        """The core's warnings about this value (``code``, ``message``, ``path``)."""
        return list(self._warnings)

    def model_dump_json(self, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
        """The wire JSON text (compact), integers exact at any size."""
        if args or kwargs:
            return super().model_dump_json(*args, **kwargs)
        return _codec.encode(self.model_dump()).decode("utf-8")

    def to_dict(self) -> Dict[str, Any]:
        """The wire JSON as Python values (the same as ``model_dump()``)."""
        return self.model_dump()


def caller_keys(model: BaseModel) -> Optional[Dict[str, Any]]:
    """The keys a caller added beyond the contract's, kept losslessly."""
    return model.__pydantic_extra__


_IMMUTABLE = (type(None), bool, int, float, str, tuple, frozenset, Enum)
_MISSING = object()
_PLANS: Dict[type, Any] = {}
# The four slots of every Pydantic model, set through their descriptors (cheaper than
# object.__setattr__, which looks each one up by name first).
_SET_DICT, _SET_FIELDS_SET, _SET_EXTRA, _SET_PRIVATE = (
    BaseModel.__dict__[name].__set__
    for name in ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
)


def _plan(cls: Any) -> Any:
    plan = _PLANS.get(cls)
    if plan is None:
        fields = cls.model_fields
        # Every field in order, with its default when that can be shared (immutable).
        template = {name: f.default if isinstance(f.default, _IMMUTABLE) else _MISSING for name, f in fields.items()}
        # The fields that must come with the values (no default that can be shared).
        required = frozenset(name for name, default in template.items() if default is _MISSING)
        private = {name: attr.default for name, attr in cls.__private_attributes__.items()}
        plan = (template, frozenset(fields), required, private, cls.model_config.get("extra") == "allow")
        _PLANS[cls] = plan
    return plan


def construct(cls: Any, values: Dict[str, Any], private: Optional[Dict[str, Any]] = None) -> Any:
    """A model of ``cls`` holding ``values`` (a canonical value from the core) without
    validating it again: what ``model_construct`` does, minus its per-call default and
    signature work, which costs more than the whole core call. Fields missing from ``values``
    take their (immutable) defaults; other keys are the model's extras (caller keys).
    ``values`` is not modified."""
    template, names, required, private_defaults, allow_extra = _PLANS.get(cls) or _plan(cls)
    if not values.keys() >= required:
        # A field without a value or a shareable default: let validation say what is missing.
        # (A set comparison: `_MISSING in own.values()` would call each model value's __eq__.)
        return cls.model_validate(values)
    own = template.copy()
    own.update(values)
    extra = None
    if len(own) > len(template):
        extra = {k: own.pop(k) for k in [k for k in values if k not in names]}
    model = cls.__new__(cls)
    _SET_DICT(model, own)
    _SET_FIELDS_SET(model, values.keys() & names)
    _SET_EXTRA(model, (extra or {}) if allow_extra else None)
    _SET_PRIVATE(model, {**private_defaults, **private} if private else private_defaults.copy())
    return model


def adopt(cls: Any, values: Dict[str, Any], private: Optional[Dict[str, Any]] = None) -> Any:
    """:func:`construct` for a ``values`` dict the caller owns and hands over: when its keys
    are exactly the model's fields (the core's canonical output, in the fields' order), it
    becomes the model's ``__dict__`` as it is, without a copy; otherwise :func:`construct`."""
    template, names, _, private_defaults, allow_extra = _PLANS.get(cls) or _plan(cls)
    if values.keys() != names:
        return construct(cls, values, private)
    model = cls.__new__(cls)
    _SET_DICT(model, values)
    _SET_FIELDS_SET(model, set(names))
    _SET_EXTRA(model, {} if allow_extra else None)
    _SET_PRIVATE(model, {**private_defaults, **private} if private else private_defaults.copy())
    return model
