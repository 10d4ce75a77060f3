"""The project's exceptions: one base class, so callers can tell a user's mistake from a bug.

The command line turns an :class:`AereduceError` (and a genuine I/O error) into one line
on stderr; anything else is a bug and says so. Subclasses also inherit the standard
exception a Python caller would expect (``ValueError`` for bad input, ``RuntimeError``
for a failed fit), so ``except ValueError`` keeps working.
"""

from __future__ import annotations


class AereduceError(Exception):
    """Base class of every error aereduce raises on purpose."""


class InputError(AereduceError, ValueError):
    """Bad input data; the message names the file and, where it can, the column or row."""


# How the estimator's ConvergenceWarning of a fit far worse than PCA's begins, and the outlier
# detector's of such members; the command line, which refuses such a fit in its own words, leaves
# both out (a warning filter's message is a regular expression matched at the start).
POOR_FIT_WARNING = "the fit ended with reconstruction MSE"
POOR_MEMBERS_WARNING = "members ended with reconstruction MSE"
# How the estimator's warning of a code as wide as the data begins; the command line notes it in
# its own words (--dim).
WIDE_CODE_WARNING = "nothing to reduce:"
POOR_FIT_WARNINGS = rf"({POOR_FIT_WARNING}|\d+ of \d+ {POOR_MEMBERS_WARNING})"
# How the estimator's warning of a map chosen near its threshold of rows begins: a cross-validation's
# folds may fit the other kind of model (trial 49). The command line cross-validates nothing.
NEAR_THE_MAP_THRESHOLD_WARNING = "neighbour_weight='auto' trains the map"


class OutputPathError(InputError):
    """An output path that cannot be written to.

    The message is written with ``{-o}`` where the command line's output option belongs: Python
    callers (``save("m.aer")``) read "choose another output" and "give the output a file name",
    the command line "choose another output (-o)" and "give -o a file name".
    """

    OPTION = "{-o}"

    def __init__(self, message: str, option: str = "-o"):
        super().__init__(message.replace(f" ({self.OPTION})", "").replace(self.OPTION, "the output"))
        self.template, self.cli_message = message, message.replace(self.OPTION, option)

    def naming(self, option: str) -> "OutputPathError":
        """The same error for an output given by another option (``compare --plot``)."""
        return OutputPathError(self.template, option)


class ModelFileError(AereduceError, ValueError):
    """The file is missing, unreadable, or not a valid aereduce model."""


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """No file at the model's path: ``except FileNotFoundError`` catches it, as Python callers expect."""


class DatasetError(AereduceError, ValueError):
    """A dataset could not be downloaded, or a file does not match its published checksum."""


class OptionError(AereduceError, ValueError):
    """A combination of options that cannot work together, or does not fit the data."""


class TrainingError(AereduceError, RuntimeError):
    """Training failed: the loss diverged, or the fit is far worse than PCA's."""


class MissingDependencyError(AereduceError, ImportError):
    """An optional dependency is not installed; the message gives the ``pip install`` line."""


def plural(count: int, noun: str) -> str:
    """``count`` and ``noun``, with an s unless the count is one: '1 dim', '2 dims'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def command_line_message(exc: BaseException) -> str:
    """The first line of an error as the command line shows it (an output path's names ``-o``).

    Errors name the file they are about first (``data.csv: ...``); standard input, named ``-`` on
    the command line, is called stdin there (``-: no column 'mpg'`` puzzled trial 13); an error
    about an output (:class:`OutputPathError`) names stdout itself."""
    text = getattr(exc, "cli_message", None) or str(exc)
    line = text.splitlines()[0] if text else type(exc).__name__
    return "stdin: " + line[3:] if line.startswith("-: ") and not isinstance(exc, OutputPathError) else line


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the user's line: the first caller outside aereduce and
    scikit-learn, however many of their frames lie between (``fit_transform`` and ``Pipeline``
    add some, so a fixed ``stacklevel`` pointed into scikit-learn)."""
    import os
    import sys
    import warnings

    inside = [os.path.dirname(os.path.abspath(__file__))]
    sklearn = sys.modules.get("sklearn")
    if sklearn is not None and getattr(sklearn, "__file__", None):
        inside.append(os.path.dirname(os.path.abspath(sklearn.__file__)))
    frame, level = sys._getframe(1), 1
    while frame is not None and any(os.path.abspath(frame.f_code.co_filename).startswith(root + os.sep)
                                    for root in inside):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
