"""Column, tensor and parameter specs of a model signature, in MLflow's JSON form.

These are the building blocks of :mod:`mlnb.flavors.schema`: a :class:`Schema` is a list of
:class:`ColSpec` (typed, optionally named columns) or :class:`TensorSpec` (numpy arrays with a
shape, ``-1`` for the variable axis); a :class:`ParamSchema` lists inference parameters with their
defaults.  ``to_dict``/``from_json_dict`` produce and read exactly the JSON MLflow writes under
``signature:`` in an ``MLmodel`` file, so signatures round-trip between the two libraries.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import Enum
from typing import Any

import numpy as np

from mlnb.errors import InvalidParameter

# the JSON type names of the composite types
ARRAY, OBJECT, MAP, ANY, TENSOR = "array", "object", "map", "any", "tensor"


class DataType(Enum):
    """A column's scalar type; ``DataType.long.name == "long"`` is what the JSON stores."""

    boolean = 1
    integer = 2
    long = 3
    float = 4
    double = 5
    string = 6
    binary = 7
    datetime = 8

    def __repr__(self) -> str:
        return self.name

    def to_numpy(self) -> np.dtype:
        """The numpy dtype a column of this type holds."""
        return np.dtype(_NUMPY[self.name])

    def to_pandas(self) -> Any:
        """The dtype pandas uses for it (``object`` for text and bytes)."""
        return object if self.name in ("string", "binary") else self.to_numpy()

    def to_python(self) -> Any:
        """The Python type of one value."""
        return _PYTHON[self.name]

    @classmethod
    def check_type(cls, data_type: DataType, value: Any) -> bool:
        """Whether ``value`` is exactly of ``data_type`` (datetime also takes numpy/datetime)."""
        types: list[Any] = [data_type.to_numpy().type, data_type.to_pandas(), data_type.to_python()]
        if data_type is DataType.datetime:
            types += [np.datetime64, dt.datetime]
        if data_type is DataType.binary:
            types.append(bytearray)
        return type(value) in types

    @classmethod
    def all_types(cls) -> list[DataType]:
        return list(cls)

    @classmethod
    def from_numpy_type(cls, np_type: Any) -> DataType | None:
        return next((t for t in cls if t.to_numpy() == np_type), None)


_NUMPY = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "str",
    "binary": "bytes",
    "datetime": "datetime64[ns]",
}
_PYTHON: dict[str, Any] = {
    "boolean": bool,
    "integer": int,
    "long": int,
    "float": float,
    "double": float,
    "string": str,
    "binary": bytes,
    "datetime": dt.date,
}


def _data_type(value: Any, what: str) -> Any:
    if isinstance(value, str):
        if value in DataType.__members__:
            return DataType[value]
        raise InvalidParameter(
            f"unsupported {what} type {value!r}; use a DataType or one of {list(DataType.__members__)}"
        )
    if not isinstance(value, (DataType, Array, Object, Map, AnyType)):
        raise InvalidParameter(
            f"{what} must be a DataType, Array, Object, Map or AnyType, got {type(value).__name__}"
        )
    return value


def type_dict(dtype: Any) -> dict[str, Any]:
    return {"type": dtype.name} if isinstance(dtype, DataType) else dtype.to_dict()


def type_from_json(spec: dict[str, Any]) -> Any:
    kind = spec.get("type")
    if kind is None:
        raise InvalidParameter(f"a type spec needs a 'type' key, got {spec!r}")
    if kind == ARRAY:
        return Array.from_json_dict(**spec)
    if kind == OBJECT:
        return Object.from_json_dict(**spec)
    if kind == MAP:
        return Map.from_json_dict(**spec)
    if kind == ANY:
        return AnyType()
    return _data_type(kind, "column")


def merge_types(first: Any, second: Any) -> Any:
    """The type covering both (lists of dicts with different keys make keys optional)."""
    if isinstance(first, AnyType):
        if isinstance(second, (AnyType, DataType)):
            return second
        return merge_types(second, first)
    if isinstance(first, DataType):
        if first == second or isinstance(second, AnyType):
            return first
        raise InvalidParameter(f"incompatible types {first!r} and {second!r}")
    if isinstance(first, Array):
        if isinstance(second, AnyType) or first == second:
            return first
        if not isinstance(second, Array):
            raise InvalidParameter(f"cannot merge {first!r} with {second!r}")
        return Array(merge_types(first.dtype, second.dtype))
    if isinstance(first, Object):
        if isinstance(second, AnyType):
            return Object([Property(p.name, p.dtype, False) for p in first.properties])
        if not isinstance(second, Object):
            raise InvalidParameter(f"cannot merge {first!r} with {second!r}")
        mine = {p.name: p for p in first.properties}
        theirs = {p.name: p for p in second.properties}
        merged = [
            Property(n, merge_types(p.dtype, theirs[n].dtype), p.required and theirs[n].required)
            if n in theirs
            else Property(n, p.dtype, False)
            for n, p in mine.items()
        ]
        merged += [Property(n, p.dtype, False) for n, p in theirs.items() if n not in mine]
        return Object(merged)
    if isinstance(first, Map):
        if isinstance(second, AnyType) or first == second:
            return first
        if not isinstance(second, Map):
            raise InvalidParameter(f"cannot merge {first!r} with {second!r}")
        return Map(merge_types(first.value_type, second.value_type))
    raise InvalidParameter(f"cannot merge {first!r} with {second!r}")


class AnyType:
    """Any JSON value, including None (what MLflow infers when it cannot tell)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyType)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "Any"

    def to_dict(self) -> dict[str, Any]:
        return {"type": ANY}


class Array:
    """A list of values of one type, e.g. ``Array(DataType.string)``."""

    def __init__(self, dtype: Any) -> None:
        self.dtype = _data_type(dtype, "array item")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Array) and self.dtype == other.dtype

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Array({self.dtype!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"type": ARRAY, "items": type_dict(self.dtype)}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> Array:
        if kwargs.get("type") != ARRAY or not isinstance(kwargs.get("items"), dict):
            raise InvalidParameter(f"an array spec needs type 'array' and an 'items' dict, got {kwargs!r}")
        return cls(type_from_json(kwargs["items"]))


class Map:
    """A dict from strings to values of one type."""

    def __init__(self, value_type: Any) -> None:
        self.value_type = _data_type(value_type, "map value")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Map) and self.value_type == other.value_type

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Map(str -> {self.value_type!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"type": MAP, "values": type_dict(self.value_type)}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> Map:
        if kwargs.get("type") != MAP or not isinstance(kwargs.get("values"), dict):
            raise InvalidParameter(f"a map spec needs type 'map' and a 'values' dict, got {kwargs!r}")
        return cls(type_from_json(kwargs["values"]))


class Property:
    """One named key of an :class:`Object`."""

    def __init__(self, name: str, dtype: Any, required: bool = True) -> None:
        if not isinstance(name, str):
            raise InvalidParameter(f"a property name must be a string, got {type(name).__name__}")
        self.name = name
        self.dtype = _data_type(dtype, "property")
        self.required = required

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Property)
            and (self.name, self.required) == (other.name, other.required)
            and self.dtype == other.dtype
        )

    __hash__ = None  # type: ignore[assignment]

    def __lt__(self, other: Property) -> bool:
        return self.name < other.name

    def __repr__(self) -> str:
        return f"{self.name}: {self.dtype!r} ({'required' if self.required else 'optional'})"

    def to_dict(self) -> dict[str, Any]:
        return {self.name: {**type_dict(self.dtype), "required": self.required}}


class Object:
    """A dict with known keys, each a :class:`Property` (kept sorted by name, as MLflow does)."""

    def __init__(self, properties: list[Property]) -> None:
        if not all(isinstance(p, Property) for p in properties):
            raise InvalidParameter("Object properties must be Property instances")
        names = [p.name for p in properties]
        if len(set(names)) != len(names):
            raise InvalidParameter(f"Object properties must have unique names, got {names}")
        self.properties = sorted(properties)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Object) and self.properties == other.properties

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "{" + ", ".join(map(repr, self.properties)) + "}"

    def to_dict(self) -> dict[str, Any]:
        props: dict[str, Any] = {}
        for prop in self.properties:
            props.update(prop.to_dict())
        return {"type": OBJECT, "properties": props}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> Object:
        props = kwargs.get("properties")
        if kwargs.get("type") != OBJECT or not isinstance(props, dict):
            raise InvalidParameter(
                f"an object spec needs type 'object' and a 'properties' dict, got {kwargs!r}"
            )
        return cls(
            [Property(name, type_from_json(spec), spec.get("required", True)) for name, spec in props.items()]
        )


class ColSpec:
    """One column: its type, optional name, and whether it may be missing."""

    def __init__(self, type: Any, name: str | None = None, required: bool = True) -> None:
        self.type = _data_type(type, "column")
        self.name = name
        self.required = required

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ColSpec)
            and (self.name, self.required) == (other.name, other.required)
            and self.type == other.type
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        tail = f"{self.type!r} ({'required' if self.required else 'optional'})"
        return tail if self.name is None else f"{self.name!r}: {tail}"

    def to_dict(self) -> dict[str, Any]:
        out = type_dict(self.type)
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> ColSpec:
        required = kwargs.get("required")
        return cls(type_from_json(kwargs), kwargs.get("name"), True if required is None else required)


class TensorSpec:
    """A numpy array input or output: dtype and shape (``-1`` marks the variable axis)."""

    def __init__(self, type: Any, shape: tuple[int, ...] | list[int], name: str | None = None) -> None:
        if not isinstance(type, np.dtype):
            raise InvalidParameter(f"TensorSpec type must be a numpy dtype, got {type!r}")
        if type.char in "US" and not type.name.isalpha():
            raise InvalidParameter(
                f"a tensor dtype cannot carry a size ({type.name}); use np.dtype({type.name.rstrip('0123456789')!r})"
            )
        if not isinstance(shape, (tuple, list)):
            raise InvalidParameter(f"TensorSpec shape must be a tuple or list, got {shape!r}")
        self.type = type
        self.shape = tuple(shape)
        self.name = name

    @property
    def required(self) -> bool:
        return True

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, TensorSpec)
            and (self.name, self.shape) == (other.name, other.shape)
            and self.type == other.type
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        tensor = f"Tensor({self.type.name!r}, {self.shape!r})"
        return tensor if self.name is None else f"{self.name!r}: {tensor}"

    def to_dict(self) -> dict[str, Any]:
        spec = {"type": TENSOR, "tensor-spec": {"dtype": self.type.name, "shape": self.shape}}
        return spec if self.name is None else {"name": self.name, **spec}

    @classmethod
    def from_json_dict(cls, **kwargs: Any) -> TensorSpec:
        info = kwargs.get("tensor-spec")
        if kwargs.get("type") != TENSOR or not isinstance(info, dict) or not {"dtype", "shape"} <= set(info):
            raise InvalidParameter(
                f"a tensor spec needs type 'tensor' and 'tensor-spec' with dtype and shape, got {kwargs!r}"
            )
        return cls(np.dtype(info["dtype"]), tuple(info["shape"]), kwargs.get("name"))


class Schema:
    """A list of :class:`ColSpec` or of :class:`TensorSpec` (not both), all named or all unnamed.

    Examples
    --------
    >>> Schema([ColSpec("long", "age"), ColSpec("string", "plan", required=False)])
    ['age': long (required), 'plan': string (optional)]
    """

    def __init__(self, inputs: list[ColSpec | TensorSpec]) -> None:
        if not isinstance(inputs, list):
            raise InvalidParameter(
                f"a Schema takes a list of ColSpec or TensorSpec, got {type(inputs).__name__}"
            )
        if not inputs:
            raise InvalidParameter("a Schema needs at least one ColSpec or TensorSpec")
        named = [x.name is not None for x in inputs]
        if any(named) and not all(named):
            raise InvalidParameter(
                f"a Schema cannot mix named and unnamed inputs, got names {[x.name for x in inputs]}"
            )
        tensors = [isinstance(x, TensorSpec) for x in inputs]
        if not (all(tensors) or all(isinstance(x, ColSpec) for x in inputs)):
            raise InvalidParameter("a Schema holds either ColSpec or TensorSpec entries, not a mix of both")
        if all(tensors) and len(inputs) > 1 and not any(named):
            raise InvalidParameter("a Schema with several TensorSpecs needs a name for each")
        if not any(named) and not all(x.required for x in inputs):
            raise InvalidParameter("unnamed inputs must be required; name the columns to make one optional")
        self.inputs = inputs

    def __len__(self) -> int:
        return len(self.inputs)

    def __iter__(self) -> Any:
        return iter(self.inputs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(self.inputs)

    def is_tensor_spec(self) -> bool:
        return isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return self.inputs[0].name is not None

    def input_names(self) -> list[Any]:
        """Column names, or their positions when the schema is unnamed."""
        return [x.name or i for i, x in enumerate(self.inputs)]

    def required_input_names(self) -> list[Any]:
        return [x.name or i for i, x in enumerate(self.inputs) if x.required]

    def optional_input_names(self) -> list[Any]:
        return [x.name or i for i, x in enumerate(self.inputs) if not x.required]

    def input_types(self) -> list[Any]:
        return [x.type for x in self.inputs]

    def input_types_dict(self) -> dict[Any, Any]:
        return {name: x.type for name, x in self.input_dict().items()}

    def input_dict(self) -> dict[Any, ColSpec | TensorSpec]:
        if not self.has_input_names():
            raise InvalidParameter("this schema has no input names; only named schemas map names to inputs")
        return {x.name: x for x in self.inputs}

    def numpy_types(self) -> list[np.dtype]:
        if self.is_tensor_spec():
            return [x.type for x in self.inputs]
        scalar = [t for t in (x.type for x in self.inputs) if isinstance(t, DataType)]
        if len(scalar) == len(self.inputs):
            return [t.to_numpy() for t in scalar]
        raise InvalidParameter("only schemas of scalar column types have numpy types")

    def pandas_types(self) -> list[Any]:
        if self.is_tensor_spec():
            raise InvalidParameter("a tensor schema has numpy types only; use numpy_types()")
        scalar = [t for t in (x.type for x in self.inputs) if isinstance(t, DataType)]
        if len(scalar) == len(self.inputs):
            return [t.to_pandas() for t in scalar]
        raise InvalidParameter("only schemas of scalar column types have pandas types")

    def to_dict(self) -> list[dict[str, Any]]:
        return [x.to_dict() for x in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, json_str: str) -> Schema:
        specs = json.loads(json_str)
        if not isinstance(specs, list) or not all(isinstance(s, dict) and "type" in s for s in specs):
            raise InvalidParameter(f"a schema's JSON must be a list of specs with a 'type', got {json_str!r}")
        return cls(
            [
                TensorSpec.from_json_dict(**s) if s["type"] == TENSOR else ColSpec.from_json_dict(**s)
                for s in specs
            ]
        )
