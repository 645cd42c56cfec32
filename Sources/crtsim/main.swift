print("crtsim")
