"""Inference parameters of a model signature: :class:`ParamSpec` and :class:`ParamSchema`.

A parameter is a name, a type (a :class:`~mlnb.flavors.specs.DataType` or an
:class:`~mlnb.flavors.specs.Object`), a default and a shape (``None`` for a scalar, ``(-1,)``
for a list).  The default is checked against type and shape, with the widening conversions
MLflow allows (integer -> long -> float -> double; anything datetime-like -> datetime).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from mlnb.errors import InvalidParameter
from mlnb.flavors.specs import OBJECT, DataType, Object, type_from_json

_WIDENING = {
    DataType.long: (DataType.integer,),
    DataType.float: (DataType.integer, DataType.long),
    DataType.double: (DataType.integer, DataType.long, DataType.float),
}


def _check_scalar(value: Any, dtype: DataType) -> Any:
    """``value`` as a Python value of ``dtype``, or InvalidParameter saying why not."""
    if value is None:
        return None
    if dtype is DataType.datetime:
        try:
            converted = np.datetime64(value).item()
        except ValueError as exc:
            raise InvalidParameter(f"cannot convert {value!r} to a datetime") from exc
        if isinstance(converted, int):
            raise InvalidParameter(f"{value!r} is not a date or datetime")
        return converted
    if not np.isscalar(value):
        raise InvalidParameter(f"a {dtype.name} parameter takes a scalar, got {value!r}")
    if DataType.check_type(dtype, value) or any(
        DataType.check_type(t, value) for t in _WIDENING.get(dtype, ())
    ):
        return dtype.to_python()(value)
    raise InvalidParameter(f"cannot safely convert {type(value).__name__} {value!r} to {dtype.name}")


def _check_object(value: Any, dtype: Object) -> Any:
    if not isinstance(value, dict):
        raise InvalidParameter(f"an object parameter takes a dict, got {type(value).__name__}")
    props = {p.name: p for p in dtype.properties}
    if unknown := set(value) - set(props):
        raise InvalidParameter(f"unexpected keys {sorted(unknown)}; the object has {sorted(props)}")
    if missing := [n for n, p in props.items() if p.required and n not in value]:
        raise InvalidParameter(f"missing required keys {missing}")
    return value


class ParamSpec:
    """One inference parameter with its type, default and shape.

    Examples
    --------
    >>> ParamSpec("temperature", "double", 0.7)
    'temperature': double (default: 0.7)
    """

    def __init__(self, name: str, dtype: Any, default: Any, shape: tuple[int, ...] | None = None) -> None:
        self.name = str(name)
        self.shape = tuple(shape) if shape is not None else None
        if isinstance(dtype, str) and dtype in DataType.__members__:
            dtype = DataType[dtype]
        if not isinstance(dtype, (DataType, Object)):
            raise InvalidParameter(
                f"parameter {self.name!r}: dtype must be a DataType, an Object or one of "
                f"{[t for t in DataType.__members__ if t != 'binary']}, got {dtype!r}"
            )
        if dtype is DataType.binary:
            raise InvalidParameter(f"parameter {self.name!r}: binary parameters are not supported")
        self.dtype = dtype
        self.default = self._checked(default)

    def _checked(self, value: Any) -> Any:
        where = f"parameter {self.name!r}"
        if self.shape == (-1,):
            if not isinstance(value, (list, np.ndarray)) or np.array(value).ndim != 1:
                raise InvalidParameter(
                    f"{where} has shape (-1,): its value must be a 1-D list, got {value!r}"
                )
            return [self._scalar(v, where) for v in value]
        if self.shape is not None:
            raise InvalidParameter(f"{where}: shape must be None (scalar) or (-1,) (list), got {self.shape}")
        return self._scalar(value, where)

    def _scalar(self, value: Any, where: str) -> Any:
        try:
            if isinstance(self.dtype, Object):
                return _check_object(value, self.dtype)
            return _check_scalar(value, self.dtype)
        except InvalidParameter as exc:
            raise InvalidParameter(f"{where}: {exc}") from None

    def validate(self, value: Any) -> Any:
        """``value`` converted to this parameter's type, or InvalidParameter."""
        return self._checked(value)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ParamSpec)
            and (self.name, self.shape, self.dtype) == (other.name, other.shape, other.dtype)
            and self.default == other.default
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shape = f" (shape: {self.shape})" if self.shape is not None else ""
        return f"{self.name!r}: {self.dtype!r} (default: {self.default}){shape}"

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if self.dtype is DataType.datetime and default is not None:
            default = [v.isoformat() for v in default] if self.shape else default.isoformat()
        out: dict[str, Any] = {"name": self.name, "default": default, "shape": self.shape}
        out.update({"type": self.dtype.name} if isinstance(self.dtype, DataType) else self.dtype.to_dict())
        return out

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> ParamSpec:
        kind = kwargs.get("type") or kwargs.get("dtype")
        if "name" not in kwargs or "default" not in kwargs or kind is None:
            raise InvalidParameter(
                f"a param spec needs 'name', 'type' and 'default', got keys {sorted(kwargs)}"
            )
        dtype = type_from_json({**kwargs, "type": kind}) if kind == OBJECT else kind
        return cls(kwargs["name"], dtype, kwargs["default"], kwargs.get("shape"))


class ParamSchema:
    """The inference parameters a model accepts, each a :class:`ParamSpec` with a unique name."""

    def __init__(self, params: list[ParamSpec]) -> None:
        if not all(isinstance(p, ParamSpec) for p in params):
            raise InvalidParameter("a ParamSchema takes a list of ParamSpec")
        names = [p.name for p in params]
        if dupes := sorted({n for n in names if names.count(n) > 1}):
            raise InvalidParameter(f"duplicated parameter names in ParamSchema: {dupes}")
        self.params = params

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self) -> Any:
        return iter(self.params)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.params)

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> ParamSchema:
        specs = json.loads(json_str)
        if not isinstance(specs, list) or not all(isinstance(s, dict) for s in specs):
            raise InvalidParameter(f"a param schema's JSON must be a list of param specs, got {json_str!r}")
        return cls([ParamSpec.from_json_dict(**s) for s in specs])
