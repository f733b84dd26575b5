"""The reference checkout's lab: ``mkservice demo``, ``mkservice bench`` and ``mkservice chaos``.

Everything here knows the checkout (orders, inventory, payments, their APIs and their saga), so
it is not part of ``mkservice``, the product: it is a dev-only workspace member that adds its
commands to the ``mkservice`` command line through the ``mkservice.commands`` entry points
(docs/adr/0016-the-checkout-lab-is-a-plugin-of-mkservice.md). It lives in ``tests/lab`` beside
the checkout's end-to-end and fault tests: remove the reference services (``mkservice remove
orders inventory payments``) and delete ``tests/lab``, ``tests/e2e`` and ``tests/faults`` (and
the lab's line in the root workspace members), and ``mkservice`` keeps every command of its own.

- :mod:`mkservice_lab.client`: an HTTP client of the checkout's public API (the demo, the
  bench, the fault suite and the end-to-end tests use it);
- :mod:`mkservice_lab.demo`, :mod:`mkservice_lab.render`: one order of each outcome, printed;
- :mod:`mkservice_lab.bench`: throughput and latency against floors;
- :mod:`mkservice_lab.chaos`: the fault suite;
- :mod:`mkservice_lab.commands`: the three commands, each with ``register(app)``.
"""
