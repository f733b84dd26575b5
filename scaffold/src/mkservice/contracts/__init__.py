"""Event contracts as documents (ADR 0027): each service's AsyncAPI document, written from its
contracts module (:mod:`mkservice.contracts.documents`), and the compatibility rules the
``contract-compatibility`` check applies to them (:mod:`mkservice.contracts.compatibility`)."""
