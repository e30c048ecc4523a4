"""Synth-time checks: concrete values are judged now, tokens at deploy time.

Every construct of the library checks its arguments before it adds anything
to the tree, in two rounds, as aws-cdk-lib does through jsii and its own
``ValidationError``:

1. types (``type_errors``): each argument of the type its signature names. A
   wrong type raises ``ArgumentTypeError`` at once, since the rules below
   cannot judge it.
2. rules (``fail``): the API's rules for each concrete value, and the rules
   that span constructs (a name used twice in a stack). Tokens pass here; the
   handler checks the resolved values with the same rules (contract.py).

Both errors are raised here and nowhere else, and their message starts with
the construct's path.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NoReturn

from aws_cdk import Stack, Token
from constructs import Construct, IConstruct


class ValidationError(ValueError):
    """An argument of a cdk-workspace-image construct breaks a rule.

    Raised when the construct is declared, before it is added to the tree. The
    message starts with the construct's path, then names each argument and
    the rule it breaks, as aws-cdk-lib's own ``ValidationError`` does
    (``Errors.is_validation_error`` recognises only errors thrown inside
    aws-cdk-lib, so this library has its own). A ``ValueError``, as the
    library's checks always raised.
    """

    def __init__(self, construct_path: str, errors: Sequence[str]) -> None:
        self.construct_path = construct_path
        """The path of the construct whose arguments are refused (``Stack/Id``)."""
        self.errors = tuple(errors)
        """Each broken rule, as a sentence that names the argument."""
        super().__init__(f"{construct_path}: " + "; ".join(self.errors))


class ArgumentTypeError(ValidationError, TypeError):
    """An argument is not of the type the signature names.

    jsii refuses such arguments with a ``TypeError`` before aws-cdk-lib sees
    them; this one is a ``TypeError`` too, and a ``ValidationError``: its
    message starts with the construct's path and names the argument, the
    expected type and the value given.
    """


def path_of(scope: IConstruct, construct_id: str) -> str:
    """The path that a construct ``construct_id`` in ``scope`` gets, known before it exists."""
    parent = scope.node.path
    return f"{parent}/{construct_id}" if parent else str(construct_id)


def fail(construct_path: str, errors: Iterable[str | None]) -> None:
    """Raise ``ValidationError`` if any of ``errors`` is not None."""
    found = [error for error in errors if error]
    if found:
        _raise(ValidationError, construct_path, found)


def check_types(construct_path: str, errors: Iterable[str | None]) -> None:
    """Raise ``ArgumentTypeError`` if any of ``errors`` (from the checks below) is not None."""
    found = [error for error in errors if error]
    if found:
        _raise(ArgumentTypeError, construct_path, found)


def _raise(kind: type[ValidationError], construct_path: str, errors: list[str]) -> NoReturn:
    raise kind(construct_path, errors)


# --- type checks: each returns why ``value`` is not of the type, or None -------------------


def _got(value: object) -> str:
    shown = repr(value)
    return f"got {type(value).__name__} {shown if len(shown) <= 60 else shown[:57] + '...'}"


def a_str(name: str, value: object, *, optional: bool = False) -> str | None:
    """A string (a token is a string too)."""
    if isinstance(value, str) or (optional and value is None):
        return None
    return f'"{name}" must be a str, {_got(value)}'


def a_whole_number(name: str, value: object, unit: str) -> str | None:
    """An int, or a number token (``CfnParameter(type="Number").value_as_number``).

    A numeric string is refused rather than converted, as jsii refuses it for
    aws-cdk-lib's own number props: a value read from ``-c`` context is a
    string, and the app knows whether ``"50.5"`` or ``""`` is a mistake.
    """
    if isinstance(value, bool):
        return f'"{name}" must be an int ({unit}), {_got(value)}'
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        # A number token is a float too: an integral one.
        return None
    hint = (
        "; convert a value read from context (-c) with int(...)" if isinstance(value, str) else ""
    )
    return f'"{name}" must be an int ({unit}), {_got(value)}{hint}'


def a_str_list(name: str, value: object, *, optional: bool = True) -> str | None:
    """A list of strings, or a list token (``CfnParameter(type="CommaDelimitedList")``)."""
    if value is None and optional:
        return None
    if isinstance(value, str):
        return (
            f'"{name}" must be a list of str, {_got(value)}; wrap one value in a list: [{value!r}]'
        )
    if not isinstance(value, Sequence):
        return f'"{name}" must be a list of str, {_got(value)}'
    wrong = [item for item in value if not isinstance(item, str)]
    if wrong:
        return (
            f'"{name}" must be a list of str, got a {type(wrong[0]).__name__} in it: {wrong[0]!r}'
        )
    return None


def a_str_mapping(name: str, value: object) -> str | None:
    """A mapping of strings to strings, or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        return f'"{name}" must be a mapping of str to str, {_got(value)}'
    for key, item in value.items():
        if not isinstance(key, str):
            return f'"{name}" keys must be str; key {_got(key)}'
        if not isinstance(item, str):
            return f'"{name}" values must be str; value of {key!r}: {_got(item)}'
    return None


def an_instance(
    name: str,
    value: object,
    kind: type | tuple[type, ...],
    expected: str,
    *,
    optional: bool = True,
) -> str | None:
    """An instance of ``kind`` (described as ``expected``); None too when ``optional``."""
    if (optional and value is None) or isinstance(value, kind):
        return None
    return f'"{name}" must be {expected}, {_got(value)}'


def an_interface(name: str, value: object, attribute: str, expected: str) -> str | None:
    """An object with ``attribute`` (a jsii interface, which ``isinstance`` cannot
    check), or None."""
    if value is None or hasattr(value, attribute):
        return None
    return f'"{name}" must be {expected}, {_got(value)}'


# --- value checks ---------------------------------------------------------------------------


def concrete(value: str, check: Callable[[str, str], str | None], label: str) -> str | None:
    """Run ``check`` on ``value`` unless it is a token, which the handler checks."""
    return None if Token.is_unresolved(value) else check(value, label)


def concrete_items(mapping: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``mapping`` whose key and value are both known now."""
    return {
        key: value
        for key, value in mapping.items()
        if not Token.is_unresolved(key) and not Token.is_unresolved(value)
    }


def concrete_list(values: Sequence[str] | None) -> list[str]:
    """The items of ``values`` known now: none of a list token, which resolves at deploy."""
    if values is None or Token.is_unresolved(values):
        return []
    return [value for value in values if not Token.is_unresolved(value)]


# Literal names of the images and bundles declared so far, per stack: WorkSpaces
# names are unique per Region, so two of one kind in a stack cannot both deploy.
_NAMES: weakref.WeakKeyDictionary[Stack, dict[tuple[str, str], str]] = weakref.WeakKeyDictionary()


def duplicate_name_error(scope: Construct, kind: str, label: str, name: object) -> str | None:
    """Why ``name`` cannot be used again for a ``kind`` in this stack, or None.

    A token is not judged: its value is known only at deploy time.
    """
    if not isinstance(name, str) or Token.is_unresolved(name):
        return None
    first = _NAMES.get(Stack.of(scope), {}).get((kind, name))
    if first is None:
        return None
    return (
        f'"{label}" {name!r} is already the name of {first} in this stack; {kind} names '
        "are unique per Region, so the second create would fail at deploy: choose another"
    )


def record_name(scope: Construct, construct_path: str, kind: str, name: object) -> None:
    """Remember the literal ``name`` of a ``kind`` that passed its checks, for those that follow."""
    if isinstance(name, str) and not Token.is_unresolved(name):
        _NAMES.setdefault(Stack.of(scope), {})[(kind, name)] = construct_path


def own_account_error(scope: Construct, accounts: Sequence[str], label: str) -> str | None:
    """Why ``accounts`` cannot be shared with: the stack's own account, when it is known."""
    account = Stack.of(scope).account
    if Token.is_unresolved(account) or account not in accounts:
        return None
    return (
        f'"{label}" lists {account}, the account this stack deploys to; an image is '
        "always available to the account that owns it: leave it out"
    )
