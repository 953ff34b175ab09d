"""Python transforms for {{project}}: register functions with @transform and call them from a step."""

from odibi_provider import transform


@transform(engine="pandas", tags=["sales"])
def add_revenue(df, context=None, price_column: str = "unit_price"):
    """revenue = quantity * unit price."""
    df = df.copy()
    df["revenue"] = df["quantity"] * df[price_column]
    return df
