"""Every module that defines queue tasks, imported by the worker (``brain worker``) so that its
consumer knows them all; web processes import each where they enqueue its tasks."""
