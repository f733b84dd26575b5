"""The checkout saga: declared in ``checkout.py`` (``CHECKOUT``, in the words of ``steps.py``)
and run by :class:`CheckoutSaga` (``machine.py``), a pure state machine."""

from orders.domain.saga.checkout import CHECKOUT, CheckoutData, SagaState
from orders.domain.saga.machine import CheckoutSaga
from orders.domain.saga.steps import Decision

__all__ = ["CHECKOUT", "CheckoutData", "CheckoutSaga", "Decision", "SagaState"]
