"""The one typed secret: exactly one is given, each kind is checked once, no repr shows a secret."""

import pytest

import securecomp
from securecomp.errors import ParameterError
from securecomp.recipients import generate_identity
from securecomp.secret import Key, Password, Recipients, secret_from, secret_keywords

KEY = bytes(range(32))


def test_no_repr_shows_a_key_a_password_or_a_private_identity():
    identity = generate_identity()
    private_line = securecomp.recipients.format_identity(identity)
    shown = " ".join(repr(s) for s in (Key(KEY), Password("hunter2"), identity))
    assert KEY.hex() not in shown and repr(KEY) not in shown and "hunter2" not in shown
    assert private_line.split(":")[1] not in shown
    assert repr(Key(KEY)) == "Key(<32 bytes>)" and repr(Password(b"x")) == "Password(<hidden>)"


@pytest.mark.parametrize("given", [{}, {"key": KEY, "password": "pw"}])
def test_anything_but_exactly_one_secret_raises_parameter_error(given):
    with pytest.raises(ParameterError, match="exactly one of key= or password= or recipients="):
        secret_from(**({"key": None, "password": None, "recipients": None} | given))


def test_each_keyword_becomes_its_type_and_back():
    recipient = str(generate_identity().recipient)
    assert isinstance(secret_from(key=KEY, password=None), Key)
    assert isinstance(secret_from(key=None, password="pw"), Password)
    recipients = secret_from(recipients=[recipient, recipient])
    assert isinstance(recipients, Recipients) and len(recipients.recipients) == 1
    assert secret_keywords(recipients) == {"recipients": [recipient]}
    assert secret_keywords(Key(KEY)) == {"key": KEY}


def test_a_secret_of_the_wrong_kind_or_beside_a_keyword_is_refused():
    with pytest.raises(ParameterError):
        secret_from(key=None, password=None, identity=None, secret=Recipients(()))
    with pytest.raises(ParameterError):
        secret_from(key=KEY, password=None, secret=Key(KEY))
    with pytest.raises(ParameterError):
        Key(b"short")


def test_encrypt_and_decrypt_take_a_typed_secret():
    image = __import__("numpy").zeros((4, 4), "uint8")
    blob = securecomp.encrypt(image, secret=Key(KEY), codec="png")
    assert securecomp.decrypt(blob, key=KEY).size == (4, 4)
    assert securecomp.decrypt(blob, secret=Key(KEY)).size == (4, 4)
