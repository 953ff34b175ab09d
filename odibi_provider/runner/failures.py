"""Whether a node's failure is worth retrying: decided once, here. Local retries, Dagster and Airflow read
:attr:`NodeResult.retryable`; no adapter looks at exception names.

Deterministic failures fail the same way every time: a ``fail`` validation test, SQL that does not parse
or bind (unknown columns, tables, functions), bad params, a type conversion, a bug in a Python function.
Transient ones may pass on a second try: I/O and network errors, timeouts, lost connections and
concurrent-commit conflicts. The innermost cause decides (an engine error wrapped in ``ExecutionError``
is judged by the engine error); an error that says so itself (``retryable=`` on ``ExecutionError``) wins.
Engine libraries are never imported here: their errors are recognised by class name.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import OdibiError

# class names (anywhere in an exception's MRO) of library errors that fail the same way on every try
DETERMINISTIC = frozenset({
    # DuckDB
    "BinderException", "ParserException", "CatalogException", "ConversionException", "InvalidInputException",
    "ConstraintException", "OutOfRangeException", "TypeMismatchException", "NotImplementedException",
    # Spark (classic and Connect)
    "AnalysisException", "ParseException", "IllegalArgumentException", "ArithmeticException",
    "NumberFormatException", "SparkRuntimeException", "PySparkTypeError", "PySparkValueError",
    # DB-API / SQLAlchemy
    "ProgrammingError", "IntegrityError", "DataError", "NotSupportedError", "CompileError",
    # deltalake
    "SchemaMismatchError",
})
# class names of library errors that may pass on another try
TRANSIENT = frozenset({
    # DuckDB
    "IOException", "HTTPException", "ConnectionException", "TransactionException", "OutOfMemoryException",
    # Delta (deltalake and Delta on Spark): another writer committed first
    "CommitFailedError", "ConcurrentAppendException", "ConcurrentDeleteReadException",
    "ConcurrentDeleteDeleteException", "ConcurrentTransactionException", "ConcurrentWriteException",
    "MetadataChangedException", "ProtocolChangedException",
    # DB-API / SQLAlchemy / drivers
    "OperationalError", "InterfaceError", "DisconnectionError", "TimeoutError",
    # Spark Connect, py4j, HTTP clients
    "SparkConnectGrpcException", "RetriesExceeded", "Py4JNetworkError", "ConnectTimeout", "ReadTimeout",
    "ConnectionError", "ClientConnectionError", "EndpointConnectionError",
})
# Python errors that mean a bug or bad data/config: a retry runs the same code on the same input
PROGRAMMING = (TypeError, ValueError, LookupError, AttributeError, NameError, ArithmeticError, AssertionError,
               NotImplementedError, ImportError, SyntaxError, RecursionError)


def is_retryable(error: BaseException) -> bool:
    """True when ``error`` may not happen again on a second try (see the module docstring)."""
    chain = list(_chain(error))
    for exc in chain:  # an explicit verdict, outermost first
        verdict = getattr(exc, "retryable", None)
        if isinstance(verdict, bool):
            return verdict
    for exc in reversed(chain):  # the innermost recognised cause decides
        names = {cls.__name__ for cls in type(exc).__mro__}
        if names & DETERMINISTIC:
            return False
        if names & TRANSIENT or isinstance(exc, OSError):
            return True
    # our own errors and Python programming errors fail again; anything unknown is left to the host's policy
    return not isinstance(chain[-1], (OdibiError, *PROGRAMMING))


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes, outermost first (``__cause__``, else an implicit ``__context__``)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
