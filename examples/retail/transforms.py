"""Python transforms of the retail example, registered with @transform."""

from odibi_provider import transform


@transform(engine="pandas", tags=["retail", "pricing"], version="1")
def add_line_total(df, context=None, price_column: str = "unit_price", quantity_column: str = "quantity"):
    """Add ``line_total = quantity * price`` to each order line."""
    df = df.copy()
    df["line_total"] = (df[quantity_column] * df[price_column]).round(2)
    return df


@transform(name="add_line_total", engine="spark", tags=["retail", "pricing"], version="1")
def add_line_total_spark(df, context=None, price_column: str = "unit_price", quantity_column: str = "quantity"):
    """The same for ``engine: spark`` nodes: a Spark DataFrame in, a Spark DataFrame out."""
    return df.selectExpr("*", f"round(`{quantity_column}` * `{price_column}`, 2) AS line_total")
