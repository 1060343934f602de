"""An upload handler that stops reading a file once it passes the size cap, so
a 500 MB stream never reaches the disk (security.md U8). Django's own limits
count form fields, not file parts."""

from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from .photos import DEFAULT_MAX_BYTES


class PhotoSizeLimitHandler(FileUploadHandler):
    def __init__(self, request=None, limit: int = DEFAULT_MAX_BYTES):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        request.oversize_files = []

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.oversize_files.append(self.file_name)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler builds the file
