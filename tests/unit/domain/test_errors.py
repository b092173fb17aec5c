import pickle

from domain.errors import FieldError


def test_field_error_names_the_field_and_reads_as_its_message():
    error = FieldError("npi", "Enter a valid 10-digit NPI.")
    assert error.field == "npi"
    assert error.message == "Enter a valid 10-digit NPI."
    assert str(error) == "Enter a valid 10-digit NPI."
    assert isinstance(error, ValueError)


def test_field_error_survives_pickling():
    copy = pickle.loads(pickle.dumps(FieldError("email", "Enter a valid email address.")))
    assert (copy.field, copy.message) == ("email", "Enter a valid email address.")
    assert str(copy) == "Enter a valid email address."
