"""Every request body refuses a number for a yes/no field and a yes/no for a number field.

Pydantic's lax mode reads ``1`` as true and ``true`` as 1: a client sending the wrong type gets a 422 naming the
field instead of a silent, surprising value. Checked over every RequestModel the application defines.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from frontdesk.app import create_app
from frontdesk.inputs import RequestModel, _takes_bool, _takes_number


def _all_models() -> list[type[RequestModel]]:
    create_app()  # imports every router, and with them every request body
    found: list[type[RequestModel]] = []
    pending: list[type[RequestModel]] = [RequestModel]
    while pending:
        model = pending.pop()
        for sub in model.__subclasses__():
            found.append(sub)
            pending.append(sub)
    return found


def _cases() -> list[Any]:
    cases = []
    for model in _all_models():
        for name, field in model.model_fields.items():
            takes_bool, takes_number = _takes_bool(field.annotation), _takes_number(field.annotation)
            if takes_bool and not takes_number:
                cases.append(pytest.param(model, name, 1, id=f"{model.__name__}.{name}=1"))
            elif takes_number and not takes_bool:
                cases.append(pytest.param(model, name, True, id=f"{model.__name__}.{name}=true"))
    return cases


@pytest.mark.parametrize(("model", "name", "value"), _cases())
def test_a_wrong_scalar_type_is_refused_naming_the_field(model: type[RequestModel], name: str, value: Any) -> None:
    with pytest.raises(ValidationError) as error:
        model.model_validate({name: value})
    assert any(problem["loc"][:1] == (name,) for problem in error.value.errors())


def test_the_check_covers_yes_no_fields() -> None:
    assert any("=1" in str(case.id) for case in _cases())
