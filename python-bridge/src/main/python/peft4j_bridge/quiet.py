"""Library noise off: the listener is the progress channel, errors still surface as exceptions."""


def quiet_libraries():
    """No progress bars or info logs from transformers (model loading, Trainer)."""
    import transformers

    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
