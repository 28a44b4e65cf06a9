"""Reading a school's roll from its MIS through an integration layer (people/mis/base.py)."""
