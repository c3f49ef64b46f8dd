// placeholder: the native build lands with the native backend
