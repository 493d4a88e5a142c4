"""Payment gateways behind one interface: Wompi first, Mercado Pago second.

The conversation and the fulfilment code only see :mod:`bot.payments.base`; which
provider answers is configuration (``PAYMENT_PROVIDER``).
"""
