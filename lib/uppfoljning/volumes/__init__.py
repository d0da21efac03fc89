"""Volumes, staff and committee indicators: the measure catalogue and goal assessments
(`catalogue`), pure computations (`compute`), the period's tables (`tables`), the report facade
(`report.VolumeReport`) and its charts (`plots`)."""
