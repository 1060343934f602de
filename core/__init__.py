"""The floor below every app: the clock, declared workflows, discovery of each
app's plug-in modules, and abstract models. Imports no app of the portal."""
