"""Python transforms of the retail example, registered with @transform."""

from odibi_provider import transform


@transform(engine="pandas", tags=["retail", "pricing"], version="1")
def add_line_total(df, context=None, price_column: str = "unit_price", quantity_column: str = "quantity"):
    """Add ``line_total = quantity * price`` to each order line."""
    df = df.copy()
    df["line_total"] = (df[quantity_column] * df[price_column]).round(2)
    return df
