"""Running reports: the pre-run check, papermill and nbconvert, projects, the command line.

Nothing else in uppfoljning imports this package (the tests and the console script do).
"""
