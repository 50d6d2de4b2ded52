"""mlhandler-transforms: named, stateless data transforms for mlhandler's `data.transform`.

Every transform is `function(data, ...) -> DataFrame`; `hooks.py` registers them by name.
"""
