"""Launching compression experiments from the app: the plug-in protocol, parameter checks, one run.

A ``Launcher`` named in the config's ``launch:`` section declares its operations
(``OperationSchema``) and runs one: (model, operation, parameters) -> a checkpoint and its
measured metrics; ``launch_one`` appends the result to the models file through ``ExperimentLog``.
"""

from backend.launch.params import LaunchError, check_parameters, parse_sweep, sweep
from backend.launch.protocol import ChoiceParam, Launcher, NumberParam, OperationSchema, Produced
from backend.launch.run import launch_one

__all__ = ["ChoiceParam", "LaunchError", "Launcher", "NumberParam", "OperationSchema", "Produced",
           "check_parameters", "launch_one", "parse_sweep", "sweep"]
