"""The application as gunicorn serves it: `gunicorn -w 3 coopchain.wsgi:app` (docs/OPERATIONS.md).

Once the app is built its startup objects are frozen out of the garbage collector
(heap.settle_startup_heap), so a request never pays for walking them.
"""

from coopchain import create_app
from coopchain.heap import settle_startup_heap

app = create_app()
settle_startup_heap()
