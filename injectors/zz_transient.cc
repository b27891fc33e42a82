// transient: replaced by the module's implementation in this change
