"""Experimental APIs (wazero's ``experimental`` package): function listeners come here."""
