"""The domain: types, validation rules, cost arithmetic. Imports no framework but pydantic."""
