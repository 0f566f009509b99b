"""``validate_serving_input``: what the scoring server would answer, without starting it.

The body is decoded and checked against the model's signature by the same code the server runs
(:mod:`mlnb.serve.protocol`), so a request that passes here is one the server accepts.
"""

from __future__ import annotations

import json
from typing import Any

from mlnb.errors import InvalidParameter
from mlnb.serve.protocol import RequestError, parse_request


def validate_serving_input(model_uri: str, serving_input: str | dict[str, Any]) -> Any:
    """The model's predictions for a scoring request body (a JSON string or its dict).

    Raises :class:`~mlnb.errors.InvalidParameter` with the server's message when the request
    would be refused (unknown format, missing column, wrong type).

    Examples
    --------
    >>> body = mlnb.models.convert_input_example_to_serving_input(X_test.head(2))  # doctest: +SKIP
    >>> mlnb.models.validate_serving_input(info.model_uri, body)  # doctest: +SKIP
    array([0, 1])
    """
    from mlnb.registry.loading import load_verified, verify_model

    if isinstance(serving_input, dict):
        body = json.dumps(serving_input).encode()
    elif isinstance(serving_input, (str, bytes)):
        body = serving_input.encode() if isinstance(serving_input, str) else serving_input
    else:
        raise InvalidParameter(
            f"serving_input must be a JSON string or a dict, got {type(serving_input).__name__}"
        )
    verified = verify_model(model_uri)
    model = load_verified(verified)
    try:
        data = parse_request(body, "application/json", verified.signature)
    except RequestError as exc:
        raise InvalidParameter(f"the scoring server would refuse this input: {exc.message}") from None
    return model.predict(data)
